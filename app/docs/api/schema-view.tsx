import type { ReactNode } from "react";
import type { oas31 } from "zod-openapi";
import { DocText, Inline } from "./doc-text";

export type Schema = oas31.SchemaObject | oas31.ReferenceObject;

const COMPONENT_PREFIX = "#/components/schemas/";
// Deeper structures are shown by their type alone; the schemas section spells out every named one.
const MAX_DEPTH = 4;

export const schemaAnchor = (name: string) => `schema-${name}`;

function refName(schema: Schema): string | null {
  return "$ref" in schema && typeof schema.$ref === "string" && schema.$ref.startsWith(COMPONENT_PREFIX) ? schema.$ref.slice(COMPONENT_PREFIX.length) : null;
}

const asObject = (schema: Schema): oas31.SchemaObject | null => (refName(schema) === null ? (schema as oas31.SchemaObject) : null);

/** A one-line type: `string (date-time)`, `"a" | "b"`, `AgentRule[]`, `string | null`; named schemas link to their section. */
export function TypeLabel({ schema }: { schema: Schema }): ReactNode {
  const name = refName(schema);
  if (name !== null) {
    return (
      <a href={`#${schemaAnchor(name)}`} className="font-medium text-indigo-700 underline-offset-2 hover:underline">
        {name}
      </a>
    );
  }
  const object = schema as oas31.SchemaObject;
  if (object.const !== undefined) return <code>{JSON.stringify(object.const)}</code>;
  if (object.enum) return <code>{object.enum.map((value) => JSON.stringify(value)).join(" | ")}</code>;
  const variants = object.anyOf ?? object.oneOf;
  if (variants) return joined(variants.map((variant, index) => <TypeLabel key={index} schema={variant} />));
  const types = Array.isArray(object.type) ? object.type : object.type ? [object.type] : [];
  if (types.length === 0) return <span>any</span>;
  return joined(
    types.map((type) => {
      if (type === "array" && object.items) {
        return (
          <span key={type}>
            array of <TypeLabel schema={object.items} />
          </span>
        );
      }
      if (type === "object" && !object.properties && typeof object.additionalProperties === "object") {
        return (
          <span key={type}>
            map of <TypeLabel schema={object.additionalProperties} />
          </span>
        );
      }
      return <span key={type}>{object.format ? `${type} (${object.format})` : type}</span>;
    }),
  );
}

function joined(parts: ReactNode[]): ReactNode {
  return parts.flatMap((part, index) => (index === 0 ? [part] : [" | ", part]));
}

/** The limits a schema states, in words. */
function constraints(schema: oas31.SchemaObject): string[] {
  const said: string[] = [];
  if (schema.minLength !== undefined && schema.maxLength !== undefined) said.push(`${schema.minLength}–${schema.maxLength} characters`);
  else if (schema.maxLength !== undefined) said.push(`at most ${schema.maxLength} characters`);
  else if (schema.minLength !== undefined) said.push(`at least ${schema.minLength} characters`);
  if (schema.minimum !== undefined) said.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) said.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) said.push(`≤ ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) said.push(`< ${schema.exclusiveMaximum}`);
  if (schema.minItems !== undefined) said.push(`at least ${schema.minItems} items`);
  if (schema.maxItems !== undefined) said.push(`at most ${schema.maxItems} items`);
  if (schema.pattern !== undefined) said.push(`matches \`${schema.pattern}\``);
  if (schema.default !== undefined) said.push(`default \`${JSON.stringify(schema.default)}\``);
  return said;
}

/** What a nested schema has to show beyond its type label: properties, or the variants of a union. */
function hasStructure(schema: Schema): boolean {
  const object = asObject(schema);
  if (!object) return false;
  if (object.properties || object.anyOf || object.oneOf) return true;
  return object.items !== undefined && hasStructure(object.items);
}

/**
 * A schema spelled out: an object's properties, a union's variants, an array's items, or a value's type and limits.
 * `describe={false}` leaves out its description, where the parameter or property that holds it already said it.
 */
export function SchemaView({ schema, depth = 0, describe = true }: { schema: Schema; depth?: number; describe?: boolean }) {
  const object = asObject(schema);
  if (!object || depth >= MAX_DEPTH || !hasStructure(schema)) {
    const limits = object ? constraints(object) : [];
    return (
      <div className="text-sm text-slate-700">
        <TypeLabel schema={schema} />
        {limits.length > 0 ? <span className="text-slate-600">{" · "}<Inline text={limits.join(", ")} /></span> : null}
        {describe && object?.description ? <DocText text={object.description} className="mt-1 space-y-1 text-sm text-slate-600" /> : null}
      </div>
    );
  }
  if (object.properties) return <Properties schema={object} depth={depth} />;
  const variants = object.anyOf ?? object.oneOf;
  if (variants) {
    return (
      <div className="text-sm text-slate-700">
        <p>One of:</p>
        <ol className="mt-1 space-y-3 border-l-2 border-slate-200 pl-4">
          {variants.map((variant, index) => (
            <li key={index}>
              {asObject(variant)?.title ? <p className="font-medium text-slate-800">{asObject(variant)?.title}</p> : null}
              <SchemaView schema={variant} depth={depth + 1} />
            </li>
          ))}
        </ol>
      </div>
    );
  }
  return (
    <div className="text-sm text-slate-700">
      <p>An array of:</p>
      <div className="mt-1 border-l-2 border-slate-200 pl-4">
        <SchemaView schema={object.items!} depth={depth + 1} />
      </div>
    </div>
  );
}

function Properties({ schema, depth }: { schema: oas31.SchemaObject; depth: number }) {
  const required = new Set(schema.required ?? []);
  return (
    <ul className="divide-y divide-slate-100 rounded-md border border-slate-200 bg-white">
      {Object.entries(schema.properties ?? {}).map(([name, property]) => {
        const object = asObject(property);
        const limits = object ? constraints(object) : [];
        return (
          <li key={name} className="px-3 py-2 text-sm">
            <div className="flex flex-wrap items-baseline gap-x-2">
              <code className="font-mono font-semibold text-slate-900">{name}</code>
              <span className="text-slate-700">
                <TypeLabel schema={property} />
              </span>
              <span className={required.has(name) ? "text-xs font-medium text-rose-800" : "text-xs text-slate-600"}>{required.has(name) ? "required" : "optional"}</span>
            </div>
            {limits.length > 0 ? (
              <p className="text-slate-600">
                <Inline text={limits.join(", ")} />
              </p>
            ) : null}
            {object?.description ? <DocText text={object.description} className="space-y-1 text-slate-600" /> : null}
            {depth + 1 < MAX_DEPTH && hasStructure(property) ? (
              <div className="mt-2">
                <SchemaView schema={property} depth={depth + 1} />
              </div>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}
