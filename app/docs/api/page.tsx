import type { Metadata } from "next";
import Link from "next/link";
import type { oas31 } from "zod-openapi";
import { openApiDocument } from "@/lib/openapi/document";
import { DocText } from "./doc-text";
import { HTTP_METHODS, MethodBadge, operationAnchor, OperationView, type OperationEntry } from "./operation-view";
import { schemaAnchor, SchemaView } from "./schema-view";

export const metadata: Metadata = { title: "API reference" };

/**
 * The API reference, rendered on the server from the OpenAPI document that `GET /api/openapi.json` serves: no script
 * of its own and no asset from elsewhere, so it works under the console's Content-Security-Policy unchanged (Scalar's
 * component injects `<style>` elements without the nonce, which that policy refuses). Public, like the document
 * (proxy.ts lets it through signed out): it describes the code, not any organization's data.
 */
export default function ApiReferencePage() {
  const document = openApiDocument() as oas31.OpenAPIObject;
  const schemes = Object.fromEntries(
    Object.entries(document.components?.securitySchemes ?? {}).map(([name, scheme]) => [name, SCHEME_NAMES[name] ?? ("$ref" in scheme ? name : scheme.type)]),
  );
  const entries: OperationEntry[] = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => {
      const operation = item[method];
      const pathParameters = (item.parameters ?? []).filter((parameter): parameter is oas31.ParameterObject => !("$ref" in parameter));
      return operation ? [{ method, path, operation, pathParameters }] : [];
    }),
  );
  const groups = (document.tags ?? []).map((tag) => ({ tag, entries: entries.filter((entry) => entry.operation.tags?.includes(tag.name)) }));

  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="flex flex-wrap items-center justify-between gap-3 bg-slate-900 px-5 py-4 text-white">
        <p className="text-lg font-semibold tracking-tight">Palisade</p>
        <nav aria-label="Site" className="flex gap-5 text-sm">
          <a href="/api/openapi.json" className="text-slate-200 underline-offset-2 hover:text-white hover:underline">
            OpenAPI document (JSON)
          </a>
          <Link href="/" className="text-slate-200 underline-offset-2 hover:text-white hover:underline">
            Console
          </Link>
        </nav>
      </header>
      <div className="lg:flex">
        <nav aria-label="Operations" className="border-b border-slate-200 bg-white px-5 py-5 text-sm lg:sticky lg:top-0 lg:max-h-screen lg:w-80 lg:shrink-0 lg:overflow-y-auto lg:border-b-0 lg:border-r">
          <ul className="space-y-4">
            <li>
              <a href="#authentication" className="font-semibold text-slate-900 hover:underline">
                Authentication
              </a>
            </li>
            {groups.map(({ tag, entries: tagged }) => (
              <li key={tag.name}>
                <a href={`#${tagAnchor(tag.name)}`} className="font-semibold text-slate-900 hover:underline">
                  {tag.name}
                </a>
                <ul className="mt-1 space-y-1">
                  {tagged.map((entry) => (
                    <li key={operationAnchor(entry)}>
                      <a href={`#${operationAnchor(entry)}`} className="flex items-center gap-2 text-slate-700 hover:text-slate-900 hover:underline">
                        <MethodBadge method={entry.method} />{" "}
                        <span className="break-all font-mono text-xs">{entry.path}</span>
                      </a>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
            <li>
              <a href="#schemas" className="font-semibold text-slate-900 hover:underline">
                Schemas
              </a>
            </li>
          </ul>
        </nav>
        <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-8">
          <div className="mx-auto max-w-4xl space-y-10">
            <section>
              <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{document.info.title} reference</h1>
              <p className="mt-1 text-sm text-slate-600">
                Version {document.info.version} · OpenAPI {document.openapi}
              </p>
              <DocText text={document.info.description} className="mt-4 space-y-3 text-sm leading-6 text-slate-700" />
            </section>

            <section id="authentication" aria-labelledby="authentication-title" className="scroll-mt-6">
              <h2 id="authentication-title" className="text-xl font-semibold text-slate-900">
                Authentication
              </h2>
              <dl className="mt-3 space-y-3">
                {Object.entries(document.components?.securitySchemes ?? {}).map(([name, scheme]) =>
                  "$ref" in scheme ? null : (
                    <div key={name} className="rounded-lg border border-slate-200 bg-white p-4">
                      <dt className="font-semibold text-slate-900">
                        {schemes[name]} <code className="ml-1 text-xs font-normal text-slate-600">{name}</code>
                      </dt>
                      <dd className="mt-1">
                        <DocText text={scheme.description} />
                      </dd>
                    </div>
                  ),
                )}
              </dl>
            </section>

            {groups.map(({ tag, entries: tagged }) => (
              <section key={tag.name} id={tagAnchor(tag.name)} aria-labelledby={`${tagAnchor(tag.name)}-title`} className="scroll-mt-6 space-y-4">
                <div>
                  <h2 id={`${tagAnchor(tag.name)}-title`} className="text-xl font-semibold text-slate-900">
                    {tag.name}
                  </h2>
                  <DocText text={tag.description} className="mt-1 text-sm text-slate-600" />
                </div>
                {tagged.map((entry) => (
                  <OperationView key={operationAnchor(entry)} entry={entry} document={document} schemes={schemes} />
                ))}
              </section>
            ))}

            <section id="schemas" aria-labelledby="schemas-title" className="scroll-mt-6 space-y-4">
              <h2 id="schemas-title" className="text-xl font-semibold text-slate-900">
                Schemas
              </h2>
              {Object.entries(document.components?.schemas ?? {}).map(([name, schema]) => (
                <article key={name} id={schemaAnchor(name)} aria-labelledby={`${schemaAnchor(name)}-title`} className="scroll-mt-6 rounded-lg border border-slate-200 bg-white p-5">
                  <h3 id={`${schemaAnchor(name)}-title`} className="font-mono text-base font-semibold text-slate-900">
                    {name}
                  </h3>
                  <DocText text={schema.description} className="mt-1 text-sm text-slate-600" />
                  <div className="mt-3">
                    <SchemaView schema={schema} />
                  </div>
                </article>
              ))}
            </section>
          </div>
        </main>
      </div>
    </div>
  );
}

/** How the page names each security scheme. */
const SCHEME_NAMES: Record<string, string> = { apiToken: "API token", consoleSession: "Console session", agentToken: "Agent token" };

const tagAnchor = (name: string) => `tag-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
