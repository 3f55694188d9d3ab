import type { oas31 } from "zod-openapi";
import { cn } from "@/components/ui/cn";
import { DocText, Inline } from "./doc-text";
import { SchemaView } from "./schema-view";

export const HTTP_METHODS = ["get", "post", "put", "patch", "delete", "head"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface OperationEntry {
  method: HttpMethod;
  path: string;
  operation: oas31.OperationObject;
  /** Parameters declared on the path item apply to each of its operations. */
  pathParameters: oas31.ParameterObject[];
}

const METHOD_STYLES: Record<HttpMethod, string> = {
  get: "bg-emerald-100 text-emerald-900",
  post: "bg-sky-100 text-sky-900",
  put: "bg-amber-100 text-amber-900",
  patch: "bg-violet-100 text-violet-900",
  delete: "bg-rose-100 text-rose-900",
  head: "bg-slate-200 text-slate-900",
};

export function MethodBadge({ method }: { method: HttpMethod }) {
  return <span className={cn("inline-block w-16 shrink-0 rounded px-1.5 py-0.5 text-center font-mono text-xs font-bold", METHOD_STYLES[method])}>{method.toUpperCase()}</span>;
}

export const operationAnchor = ({ method, path, operation }: Pick<OperationEntry, "method" | "path" | "operation">) => operation.operationId ?? `${method}-${path}`;

/** Which credentials an operation takes, and the role each needs, from its security requirements. */
function credentials(operation: oas31.OperationObject, document: oas31.OpenAPIObject, schemes: Record<string, string>): string {
  const requirements = operation.security ?? document.security ?? [];
  if (requirements.length === 0) return "None.";
  return `${requirements
    .flatMap((requirement) => Object.entries(requirement).map(([scheme, roles]) => `${schemes[scheme] ?? scheme}${roles.length > 0 ? ` (role: ${roles.join(", ")})` : ""}`))
    .join(", or ")}.`;
}

const isReference = (value: object): value is oas31.ReferenceObject => "$ref" in value;

function Example({ value, label }: { value: unknown; label: string }) {
  return (
    <figure className="mt-2">
      <figcaption className="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</figcaption>
      {/* Wrapped rather than scrolled, so no region needs a keyboard to scroll it. */}
      <pre className="mt-1 whitespace-pre-wrap break-words rounded-md bg-slate-900 p-3 font-mono text-xs leading-5 text-slate-100">
        <code>{JSON.stringify(value, null, 2)}</code>
      </pre>
    </figure>
  );
}

function Content({ content }: { content: oas31.ContentObject | undefined }) {
  if (!content) return null;
  return (
    <>
      {Object.entries(content).map(([mediaType, media]) => (
        <div key={mediaType} className="mt-2 space-y-2">
          <p className="text-xs text-slate-600">
            <code>{mediaType}</code>
          </p>
          {media.schema ? <SchemaView schema={media.schema} /> : null}
          {media.example !== undefined ? <Example value={media.example} label="Example" /> : null}
        </div>
      ))}
    </>
  );
}

export function OperationView({ entry, document, schemes }: { entry: OperationEntry; document: oas31.OpenAPIObject; schemes: Record<string, string> }) {
  const { method, path, operation } = entry;
  const anchor = operationAnchor(entry);
  const parameters = [...entry.pathParameters, ...(operation.parameters ?? [])].filter((parameter): parameter is oas31.ParameterObject => !isReference(parameter));
  const body = operation.requestBody && !isReference(operation.requestBody) ? operation.requestBody : null;
  return (
    <article id={anchor} aria-labelledby={`${anchor}-title`} className="scroll-mt-6 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h3 id={`${anchor}-title`} className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <MethodBadge method={method} />{" "}
        <code className="break-all font-mono text-sm font-semibold text-slate-900">{path}</code>{" "}
        <span className="text-base font-semibold text-slate-800">{operation.summary}</span>
      </h3>
      <p className="mt-3 text-sm text-slate-700">
        <span className="font-medium">Credentials:</span> {credentials(operation, document, schemes)}
      </p>
      <DocText text={operation.description} className="mt-2 space-y-2 text-sm leading-6 text-slate-700" />

      {parameters.length > 0 ? (
        <section className="mt-4">
          <h4 className="text-sm font-semibold text-slate-900">Parameters</h4>
          <ul className="mt-2 divide-y divide-slate-100 rounded-md border border-slate-200">
            {parameters.map((parameter) => (
              <li key={`${parameter.in}-${parameter.name}`} className="px-3 py-2 text-sm">
                <div className="flex flex-wrap items-baseline gap-x-2">
                  <code className="font-mono font-semibold text-slate-900">{parameter.name}</code>
                  <span className="text-xs text-slate-600">in {parameter.in}</span>
                  <span className={parameter.required ? "text-xs font-medium text-rose-800" : "text-xs text-slate-600"}>{parameter.required ? "required" : "optional"}</span>
                </div>
                {parameter.description ? <DocText text={parameter.description} className="text-slate-600" /> : null}
                {parameter.schema ? (
                  <div className="mt-1">
                    <SchemaView schema={parameter.schema} describe={!parameter.description} />
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {body ? (
        <section className="mt-4">
          <h4 className="text-sm font-semibold text-slate-900">Request body {body.required ? null : <span className="font-normal text-slate-600">(optional)</span>}</h4>
          <Content content={body.content} />
        </section>
      ) : null}

      <section className="mt-4">
        <h4 className="text-sm font-semibold text-slate-900">Responses</h4>
        <dl className="mt-2 space-y-3">
          {Object.entries(operation.responses ?? {}).map(([status, response]) =>
            isReference(response as object) ? null : (
              <div key={status} className="rounded-md border border-slate-200 p-3">
                <dt className="font-mono text-sm font-semibold text-slate-900">{status}</dt>
                <dd className="mt-1">
                  <DocText text={(response as oas31.ResponseObject).description} className="space-y-2 text-sm leading-6 text-slate-700" />
                  <Headers headers={(response as oas31.ResponseObject).headers} />
                  <Content content={(response as oas31.ResponseObject).content} />
                </dd>
              </div>
            ),
          )}
        </dl>
      </section>
    </article>
  );
}

function Headers({ headers }: { headers: oas31.HeadersObject | undefined }) {
  const entries = Object.entries(headers ?? {}).filter((entry): entry is [string, oas31.HeaderObject] => !isReference(entry[1]));
  if (entries.length === 0) return null;
  return (
    <ul className="mt-2 space-y-1 text-sm text-slate-700">
      {entries.map(([name, header]) => (
        <li key={name}>
          Header <code className="font-mono font-semibold">{name}</code>
          {header.required ? null : " (when present)"}
          {header.description ? (
            <>
              {": "}
              <Inline text={header.description} />
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
