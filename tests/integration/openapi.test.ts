/**
 * The OpenAPI document (lib/openapi): a valid OpenAPI 3.1 document, covering every route file and exported method
 * under app/api, whose examples match its schemas and whose schemas match what the real handlers answer: a tour of
 * the API, success and failure in both families, checks each response's status, content type, required headers and
 * body against the document, and then that every documented operation was seen to succeed.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import type { ZodOpenApiMediaTypeObject, ZodOpenApiOperationObject, ZodOpenApiPathsObject, ZodOpenApiResponseObject } from "zod-openapi";
import * as agentLabels from "@/app/api/agents/[id]/labels/route";
import * as agentRoute from "@/app/api/agents/[id]/route";
import * as enrollRoute from "@/app/api/agents/enroll/route";
import * as enrollmentKeyRoute from "@/app/api/agents/enrollment-keys/[id]/route";
import * as enrollmentKeysRoute from "@/app/api/agents/enrollment-keys/route";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as agentsRoute from "@/app/api/agents/route";
import * as agentStreamRoute from "@/app/api/agents/stream/route";
import * as auditCheckpointsRoute from "@/app/api/audit-logs/checkpoints/route";
import * as auditDeliveriesRoute from "@/app/api/audit-logs/destinations/[id]/deliveries/route";
import * as auditReplayRoute from "@/app/api/audit-logs/destinations/[id]/replay/route";
import * as auditDestinationRoute from "@/app/api/audit-logs/destinations/[id]/route";
import * as auditDestinationsRoute from "@/app/api/audit-logs/destinations/route";
import * as auditExportRoute from "@/app/api/audit-logs/export/route";
import * as auditKeysRoute from "@/app/api/audit-logs/keys/route";
import * as auditLogsRoute from "@/app/api/audit-logs/route";
import * as approveRoute from "@/app/api/change-requests/[id]/approve/route";
import * as cancelRoute from "@/app/api/change-requests/[id]/cancel/route";
import * as rejectRoute from "@/app/api/change-requests/[id]/reject/route";
import * as changeRequestsRoute from "@/app/api/change-requests/route";
import * as eventsRoute from "@/app/api/events/route";
import * as healthRoute from "@/app/api/health/route";
import * as openApiRoute from "@/app/api/openapi.json/route";
import * as settingsRoute from "@/app/api/organization/settings/route";
import * as restoreRoute from "@/app/api/policies/[id]/revisions/[revision]/restore/route";
import * as revisionRoute from "@/app/api/policies/[id]/revisions/[revision]/route";
import * as revisionsRoute from "@/app/api/policies/[id]/revisions/route";
import * as policyRoute from "@/app/api/policies/[id]/route";
import * as policiesRoute from "@/app/api/policies/route";
import * as activeRoute from "@/app/api/policy/active/route";
import * as overridesRoute from "@/app/api/policy/agent/[id]/overrides/route";
import * as agentPolicyRoute from "@/app/api/policy/agent/[id]/route";
import * as publishRoute from "@/app/api/policy/route";
import * as abortRoute from "@/app/api/policy/versions/[version]/abort/route";
import * as promoteRoute from "@/app/api/policy/versions/[version]/promote/route";
import * as republishRoute from "@/app/api/policy/versions/[version]/republish/route";
import * as versionRoute from "@/app/api/policy/versions/[version]/route";
import * as versionsRoute from "@/app/api/policy/versions/route";
import * as sessionRoute from "@/app/api/session/route";
import { MAX_BODY_BYTES } from "@/lib/api/request";
import { openApiDocument, openApiSpec } from "@/lib/openapi/document";
import { ALERT_RULE, BLOCK_RULE } from "../agent-helpers";
import { call, createTestOrg, createTestUser, sessionCookie, type TestOrg, type TestUser } from "../helpers";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
type Method = (typeof METHODS)[number];
type Lower = Lowercase<Method>;

const paths: ZodOpenApiPathsObject = openApiSpec.paths ?? {};
const operationOf = (method: Method, template: string) => paths[template]?.[method.toLowerCase() as Exclude<Lower, "options">] as ZodOpenApiOperationObject | undefined;

/** app/api/policies/[id]/route.ts -> /api/policies/{id}; a catch-all ([...nextauth]) -> {nextauth}. */
function templateOf(file: string): string {
  const segments = path.dirname(path.relative("app", file)).split(path.sep);
  return `/${segments.map((segment) => segment.replace(/^\[(?:\.\.\.)?(.+)\]$/, "{$1}")).join("/")}`;
}

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === "route.ts" ? [full] : [];
  });
}

const isZod = (schema: unknown): schema is z.ZodType => typeof schema === "object" && schema !== null && "_zod" in schema;

/** Operations seen to answer, as "GET /api/policies 200". */
const seen = new Set<string>();

/** The response is one the document describes: its status, content type, required headers and body. */
async function expectDocumented(method: Method, template: string, response: Response): Promise<unknown> {
  const name = `${method} ${template}`;
  const operation = operationOf(method, template);
  expect(operation, `${name} is not documented`).toBeDefined();
  const documented = operation!.responses[String(response.status) as `2${string}`] as ZodOpenApiResponseObject | undefined;
  const text = method === "HEAD" ? "" : await response.text();
  expect(documented, `${name} answered ${response.status}, which the document does not list: ${text.slice(0, 300)}`).toBeDefined();
  seen.add(`${name} ${response.status}`);

  const headers = (documented!.headers ?? {}) as Record<string, { required?: boolean }>;
  for (const [header, spec] of Object.entries(headers)) {
    if (spec.required) expect(response.headers.has(header), `${name} ${response.status} lacks its ${header} header`).toBe(true);
  }
  if (!documented!.content) return undefined;
  const contentType = response.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
  const media = documented!.content[contentType] as ZodOpenApiMediaTypeObject | undefined;
  expect(media, `${name} ${response.status} answered ${contentType}, not one of ${Object.keys(documented!.content).join(", ")}`).toBeDefined();
  if (contentType !== "application/json") return text;
  const body: unknown = JSON.parse(text);
  if (isZod(media!.schema)) {
    const parsed = media!.schema.safeParse(body);
    expect(parsed.success ? [] : parsed.error.issues, `${name} ${response.status}: ${text.slice(0, 500)}`).toEqual([]);
  }
  return body;
}

// `never` params: any route handler fits, whatever its params; the tour passes the ones its path needs.
type Handler = (request: Request, context: { params: Promise<never> }) => Promise<Response> | Response;

interface TourCall {
  token?: string;
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Calls the real handler of a documented path and checks its answer against the document. */
async function api<Body = unknown>(handler: Handler, method: Method, template: string, options: TourCall = {}): Promise<{ status: number; body: Body }> {
  const concrete = template.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(options.params?.[key] ?? ""));
  const response = await call(handler as Parameters<typeof call>[0], method, options.query ? `${concrete}?${options.query}` : concrete, options);
  return { status: response.status, body: (await expectDocumented(method, template, response)) as Body };
}

/** Opens a stream, checks its head against the document, and closes it. */
async function stream(handler: Handler, template: string, options: TourCall): Promise<number> {
  const controller = new AbortController();
  const response = await call(handler as Parameters<typeof call>[0], "GET", template, { ...options, signal: controller.signal });
  const operation = operationOf("GET", template)!;
  const documented = operation.responses[String(response.status) as `2${string}`] as ZodOpenApiResponseObject | undefined;
  expect(documented, `GET ${template} answered ${response.status}`).toBeDefined();
  expect(Object.keys(documented!.content ?? {})).toContain(response.headers.get("content-type")?.split(";")[0]);
  seen.add(`GET ${template} ${response.status}`);
  controller.abort();
  await response.body?.cancel().catch(() => {});
  return response.status;
}

describe("the OpenAPI document", () => {
  it("is served at GET /api/openapi.json, without a credential, and is a valid OpenAPI 3.1 document", async () => {
    const { status, body } = await api(openApiRoute.GET, "GET", "/api/openapi.json");
    expect(status).toBe(200);
    expect(body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect((body as { openapi: string }).openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(body as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toMatch(/^3\.1/);
  });

  it("documents every route file under app/api, every method each exports, and nothing else", async () => {
    const exported: string[] = [];
    for (const file of routeFiles("app/api")) {
      const routeModule = (await import(path.resolve(file))) as Record<string, unknown>;
      for (const method of METHODS) if (typeof routeModule[method] === "function") exported.push(`${method} ${templateOf(file)}`);
    }
    expect(exported).toContain("PATCH /api/policies/{id}");
    expect(exported).toContain("GET /api/auth/{nextauth}");
    const documented = Object.entries(paths).flatMap(([template, item]) => METHODS.filter((method) => item[method.toLowerCase() as Exclude<Lower, "options">]).map((method) => `${method} ${template}`));
    expect(documented.sort()).toEqual(exported.sort());
  });

  it("describes every error shape and security scheme, and the agent stream's events", () => {
    const document = openApiDocument();
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(expect.arrayContaining(["DetailError", "DetailValidationError", "EnvelopeError"]));
    expect(Object.keys(document.components?.securitySchemes ?? {}).sort()).toEqual(["agentToken", "apiToken", "consoleSession"]);
    expect(JSON.stringify(document.paths?.["/api/agents/enroll"])).toContain("enrollmentKey");
    const stream = JSON.stringify(document.paths?.["/api/agents/stream"]);
    for (const event of ["policy", "reset", "policy_version", "rollout", "labels", "overrides", "security_policy", "revoked"]) expect(stream).toContain(`\`${event}\``);
  });

  it("has examples that its own schemas accept", () => {
    const examples: string[] = [];
    for (const [template, item] of Object.entries(paths)) {
      for (const method of METHODS) {
        const operation = item[method.toLowerCase() as Exclude<Lower, "options">];
        if (!operation) continue;
        const media = [
          ["request", operation.requestBody?.content["application/json"]],
          ...Object.entries(operation.responses).map(([status, response]) => [status, (response as ZodOpenApiResponseObject).content?.["application/json"]] as const),
        ] as const;
        for (const [where, content] of media) {
          if (content?.example === undefined || !isZod(content.schema)) continue;
          const parsed = content.schema.safeParse(content.example);
          expect(parsed.success ? [] : parsed.error.issues, `${method} ${template} ${where} example`).toEqual([]);
          examples.push(`${method} ${template} ${where}`);
        }
      }
    }
    expect(examples).toContain("POST /api/policy request");
    expect(examples).toContain("POST /api/policy 201");
  });
});

describe("what the API answers matches the document", () => {
  let org: TestOrg;
  let secondAdmin: TestUser;

  beforeAll(async () => {
    org = await createTestOrg();
    secondAdmin = await createTestUser("admin", { id: org.orgId });
  });

  it("Security Policies API: policies, revisions, errors in the detail shape", async () => {
    const { admin, viewer } = org;
    expect((await api(policiesRoute.GET, "GET", "/api/policies", { token: viewer.token, query: "type=access" })).status).toBe(200);
    const created = await api<{ id: string }>(policiesRoute.POST, "POST", "/api/policies", { token: admin.token, body: { name: "Block USB storage", type: "access", rules: ["Deny mass storage"] } });
    expect(created.status).toBe(201);
    const policyId = created.body.id;
    const kinded = await api(policiesRoute.POST, "POST", "/api/policies", { token: admin.token, body: { kind: "password", settings: { minLength: 14 } } });
    expect(kinded.body).toMatchObject({ kind: "password", settings: { minLength: 14 } });
    const params = { id: policyId };
    expect((await api(policyRoute.GET, "GET", "/api/policies/{id}", { token: viewer.token, params })).status).toBe(200);
    expect((await api(policyRoute.PATCH, "PATCH", "/api/policies/{id}", { token: admin.token, params })).body).toEqual({ message: "Policy disabled", enabled: false });
    expect((await api(policyRoute.PATCH, "PATCH", "/api/policies/{id}", { token: admin.token, params, body: { enabled: true } })).status).toBe(200);
    expect((await api(policyRoute.PUT, "PUT", "/api/policies/{id}", { token: admin.token, params, body: { rules: ["Deny mass storage", "Log every attempt"] } })).status).toBe(200);
    expect((await api(revisionsRoute.GET, "GET", "/api/policies/{id}/revisions", { token: viewer.token, params })).body).toHaveLength(4);
    expect((await api(revisionRoute.GET, "GET", "/api/policies/{id}/revisions/{revision}", { token: viewer.token, params: { ...params, revision: "1" } })).status).toBe(200);
    expect((await api(restoreRoute.POST, "POST", "/api/policies/{id}/revisions/{revision}/restore", { token: admin.token, params: { ...params, revision: "1" } })).status).toBe(200);
    expect((await api(policyRoute.DELETE, "DELETE", "/api/policies/{id}", { token: admin.token, params })).body).toEqual({ message: "Policy deleted", id: policyId });

    // Each failure, in the family's documented shape.
    expect((await api(policiesRoute.GET, "GET", "/api/policies")).status).toBe(401);
    expect((await api(policiesRoute.POST, "POST", "/api/policies", { token: viewer.token, body: { name: "x", type: "access", rules: ["y"] } })).status).toBe(403);
    expect((await api(policiesRoute.POST, "POST", "/api/policies", { token: admin.token, body: "{not json" })).status).toBe(400);
    expect((await api<{ detail: unknown[] }>(policiesRoute.POST, "POST", "/api/policies", { token: admin.token, body: { name: "", type: "access", rules: [] } })).body.detail).toHaveLength(2);
    expect((await api(policiesRoute.POST, "POST", "/api/policies", { token: admin.token, body: `"${"x".repeat(MAX_BODY_BYTES)}"` })).status).toBe(413);
    expect((await api(policyRoute.GET, "GET", "/api/policies/{id}", { token: viewer.token, params: { id: "no-such-policy" } })).status).toBe(404);
    expect((await api(policyRoute.DELETE, "DELETE", "/api/policies/{id}", { token: admin.token, params: { id: "pol-mfa-required" } })).status).toBe(409);
    expect((await api(revisionRoute.GET, "GET", "/api/policies/{id}/revisions/{revision}", { token: viewer.token, params: { ...params, revision: "first" } })).status).toBe(422);
  });

  it("Security Policies API: four-eyes, change requests, the audit log, session and health", async () => {
    const { admin, viewer } = org;
    expect((await api(settingsRoute.GET, "GET", "/api/organization/settings", { token: viewer.token })).body).toEqual({ fourEyes: false });
    expect((await api(settingsRoute.PUT, "PUT", "/api/organization/settings", { token: admin.token, body: { fourEyes: true } })).body).toEqual({ fourEyes: true });
    const held = await api<{ change_request: { id: string } }>(policyRoute.PATCH, "PATCH", "/api/policies/{id}", { token: admin.token, params: { id: "pol-mfa-required" }, body: { enabled: false } });
    expect(held.status).toBe(202);
    expect((await api(publishRoute.POST, "POST", "/api/policy", { token: admin.token, body: { name: "Held", rules: [BLOCK_RULE] } })).status).toBe(202);
    expect((await api(changeRequestsRoute.GET, "GET", "/api/change-requests", { token: viewer.token, query: "state=pending" })).body).toHaveLength(2);

    const decide = (handler: Handler, method: Method, template: string, id: string, token: string, body?: unknown) =>
      api<{ state: string }>(handler, method, template, { token, params: { id }, body });
    expect((await decide(approveRoute.POST, "POST", "/api/change-requests/{id}/approve", held.body.change_request.id, admin.token)).status).toBe(403);
    expect((await decide(rejectRoute.POST, "POST", "/api/change-requests/{id}/reject", held.body.change_request.id, secondAdmin.token, { comment: "Not now" })).body.state).toBe("rejected");
    const filed = await api<{ id: string }>(changeRequestsRoute.POST, "POST", "/api/change-requests", { token: admin.token, body: { action: "disable_policy", target: "pol-session-recording", reason: "Maintenance" } });
    expect(filed.status).toBe(201);
    expect((await decide(cancelRoute.POST, "POST", "/api/change-requests/{id}/cancel", filed.body.id, admin.token)).body.state).toBe("cancelled");
    expect((await decide(approveRoute.POST, "POST", "/api/change-requests/{id}/approve", filed.body.id, secondAdmin.token)).status).toBe(409);
    expect((await decide(approveRoute.POST, "POST", "/api/change-requests/{id}/approve", "cr_0000000000000000", secondAdmin.token)).status).toBe(404);

    // Turning four-eyes off is held too, until the second admin approves it.
    const off = await api<{ change_request: { id: string } }>(settingsRoute.PUT, "PUT", "/api/organization/settings", { token: admin.token, body: { fourEyes: false } });
    expect(off.status).toBe(202);
    expect((await decide(approveRoute.POST, "POST", "/api/change-requests/{id}/approve", off.body.change_request.id, secondAdmin.token, { comment: "Agreed" })).body.state).toBe("applied");

    const page = await api(auditLogsRoute.GET, "GET", "/api/audit-logs", { token: viewer.token, query: "limit=1" });
    expect(page.body).toHaveLength(1);
    expect((await api(auditLogsRoute.GET, "GET", "/api/audit-logs", { token: viewer.token, query: "since=yesterday" })).status).toBe(422);
    expect((await api(auditExportRoute.GET, "GET", "/api/audit-logs/export", { token: viewer.token, query: "format=csv&limit=5" })).body).toMatch(/^id,/);
    expect((await api(auditExportRoute.GET, "GET", "/api/audit-logs/export", { token: viewer.token, query: "format=json&action=toggle_policy" })).status).toBe(200);
    expect((await api(auditExportRoute.HEAD, "HEAD", "/api/audit-logs/export", { token: viewer.token })).status).toBe(405);
    expect((await api(auditCheckpointsRoute.POST, "POST", "/api/audit-logs/checkpoints", { token: admin.token })).status).toBe(201);
    expect((await api(auditCheckpointsRoute.POST, "POST", "/api/audit-logs/checkpoints", { token: viewer.token })).status).toBe(403);
    expect((await api(auditCheckpointsRoute.GET, "GET", "/api/audit-logs/checkpoints", { token: viewer.token, query: "limit=1" })).body).toHaveLength(1);
    expect((await api(auditKeysRoute.GET, "GET", "/api/audit-logs/keys", { token: viewer.token })).status).toBe(200);

    expect((await api(sessionRoute.GET, "GET", "/api/session")).status).toBe(401);
    expect((await api(sessionRoute.GET, "GET", "/api/session", { headers: { cookie: await sessionCookie(viewer.user) } })).body).toMatchObject({ email: viewer.user.email });
    expect((await api(healthRoute.GET, "GET", "/api/health")).body).toEqual({ status: "ok" });
  });

  it("Security Policies API: audit streaming destinations, their deliveries and replay", async () => {
    const { admin, viewer } = org;
    const created = await api<{ id: string }>(auditDestinationsRoute.POST, "POST", "/api/audit-logs/destinations", { token: admin.token, body: { url: "https://203.0.113.10/siem", secret: "tour-secret-0123456789abcdef" } });
    expect(created.status).toBe(201);
    expect((await api(auditDestinationsRoute.POST, "POST", "/api/audit-logs/destinations", { token: admin.token, body: { url: "https://127.0.0.1/", secret: "tour-secret-0123456789abcdef" } })).status).toBe(422);
    expect((await api(auditDestinationsRoute.GET, "GET", "/api/audit-logs/destinations", { token: viewer.token })).status).toBe(403);
    expect((await api<unknown[]>(auditDestinationsRoute.GET, "GET", "/api/audit-logs/destinations", { token: admin.token })).body).toHaveLength(1);
    const params = { id: created.body.id };
    expect((await api(auditDestinationRoute.PATCH, "PATCH", "/api/audit-logs/destinations/{id}", { token: admin.token, params, body: { enabled: false } })).status).toBe(200);
    expect((await api(auditDeliveriesRoute.GET, "GET", "/api/audit-logs/destinations/{id}/deliveries", { token: admin.token, params, query: "state=dead" })).body).toEqual([]);
    expect((await api(auditReplayRoute.POST, "POST", "/api/audit-logs/destinations/{id}/replay", { token: admin.token, params, body: {} })).body).toEqual({ replayed: 0, deliveryIds: [] });
    expect((await api(auditDestinationRoute.DELETE, "DELETE", "/api/audit-logs/destinations/{id}", { token: admin.token, params })).status).toBe(200);
    expect((await api(auditDestinationRoute.DELETE, "DELETE", "/api/audit-logs/destinations/{id}", { token: admin.token, params })).status).toBe(404);
  });

  it("Agent Policy API: enrolment, publishing, rollouts, agents, the data plane, errors in the envelope", async () => {
    const { admin, viewer } = org;
    expect((await api(activeRoute.GET, "GET", "/api/policy/active", { token: viewer.token })).status).toBe(404);
    const key = await api<{ data: { id: string; key: string } }>(enrollmentKeysRoute.POST, "POST", "/api/agents/enrollment-keys", { token: admin.token, body: { uses: 5 } });
    expect(key.status).toBe(201);
    expect((await api<{ data: unknown[] }>(enrollmentKeysRoute.GET, "GET", "/api/agents/enrollment-keys", { token: admin.token })).body.data).toHaveLength(1);
    const enrolled = await api<{ data: { agentId: string; token: string } }>(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey: key.body.data.key, hostname: "web-1", labels: { ring: "canary" } } });
    const agent = enrolled.body.data;
    await api(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey: key.body.data.key, hostname: "web-2" } });
    expect((await api(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey: "penr_unknown", hostname: "web-3" } })).status).toBe(401);
    expect((await api(enrollmentKeyRoute.DELETE, "DELETE", "/api/agents/enrollment-keys/{id}", { token: admin.token, params: { id: key.body.data.id } })).status).toBe(200);
    expect((await api(enrollmentKeyRoute.DELETE, "DELETE", "/api/agents/enrollment-keys/{id}", { token: admin.token, params: { id: key.body.data.id } })).status).toBe(404);

    expect((await api(publishRoute.POST, "POST", "/api/policy", { token: admin.token, body: { name: "Baseline", rules: [BLOCK_RULE, ALERT_RULE] } })).status).toBe(201);
    expect((await api(activeRoute.GET, "GET", "/api/policy/active", { token: viewer.token })).body).toMatchObject({ data: { version: "v1" } });
    expect((await api<{ data: unknown[] }>(versionsRoute.GET, "GET", "/api/policy/versions", { token: viewer.token, query: "limit=10" })).body.data).toHaveLength(1);
    expect((await api(versionRoute.GET, "GET", "/api/policy/versions/{version}", { token: viewer.token, params: { version: "v1" } })).status).toBe(200);
    expect((await api(versionRoute.GET, "GET", "/api/policy/versions/{version}", { token: viewer.token, params: { version: "v9" } })).status).toBe(404);

    const beat = (policyVersion: string | null) => api(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token: agent.token, body: { policyVersion } });
    expect((await beat("v1")).body).toMatchObject({ data: { latestVersion: "v1", outdated: false } });
    expect((await beat("v9")).body).toMatchObject({ error: { details: [{ path: "policyVersion", message: "v9 has not been published (the latest is v1)" }] } });
    expect((await api(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { body: { policyVersion: null } })).status).toBe(401);

    const agentParams = { id: agent.agentId };
    expect((await api(agentsRoute.GET, "GET", "/api/agents", { token: viewer.token, query: "status=all&limit=10" })).body).toMatchObject({ data: { total: 2 } });
    expect((await api(agentRoute.GET, "GET", "/api/agents/{id}", { token: viewer.token, params: agentParams })).status).toBe(200);
    expect((await api(agentLabels.PUT, "PUT", "/api/agents/{id}/labels", { token: admin.token, params: agentParams, body: { labels: { ring: "canary", env: "prod" } } })).status).toBe(200);

    // A staged rollout, promoted; another, aborted; a rollback.
    const canary = await api(publishRoute.POST, "POST", "/api/policy", { token: admin.token, body: { name: "Canary", rules: [ALERT_RULE], selector: "ring=canary" } });
    expect(canary.body).toMatchObject({ data: { version: "v2", stage: "canary", selector: "ring=canary" } });
    expect((await api(publishRoute.POST, "POST", "/api/policy", { token: admin.token, body: { name: "Meanwhile", rules: [ALERT_RULE] } })).status).toBe(409);
    expect((await api(agentPolicyRoute.GET, "GET", "/api/policy/agent/{id}", { token: viewer.token, params: agentParams })).body).toMatchObject({
      data: { rollout: { version: "v2", selector: "ring=canary", targeted: true } },
    });
    expect((await api(promoteRoute.POST, "POST", "/api/policy/versions/{version}/promote", { token: admin.token, params: { version: "v2" } })).status).toBe(200);
    expect((await api(promoteRoute.POST, "POST", "/api/policy/versions/{version}/promote", { token: admin.token, params: { version: "v2" } })).status).toBe(409);
    await api(publishRoute.POST, "POST", "/api/policy", { token: admin.token, body: { name: "Canary 2", rules: [BLOCK_RULE], selector: "ring in (canary)" } });
    expect((await api(abortRoute.POST, "POST", "/api/policy/versions/{version}/abort", { token: admin.token, params: { version: "v3" } })).body).toMatchObject({ data: { stage: "aborted" } });
    expect((await api(republishRoute.POST, "POST", "/api/policy/versions/{version}/republish", { token: admin.token, params: { version: "v1" } })).body).toMatchObject({ data: { republishedFrom: "v1" } });
    const overrides = { rules: [{ type: "block_ip", config: { threshold: 10 } }] };
    expect((await api(overridesRoute.PUT, "PUT", "/api/policy/agent/{id}/overrides", { token: admin.token, params: agentParams, body: overrides })).status).toBe(200);

    expect(await stream(agentStreamRoute.GET, "/api/agents/stream", { token: agent.token })).toBe(200);
    expect(await stream(agentStreamRoute.GET, "/api/agents/stream", { token: admin.token })).toBe(401);
    expect(await stream(eventsRoute.GET, "/api/events", { token: viewer.token })).toBe(200);

    // Each failure, in the envelope.
    expect((await api(publishRoute.POST, "POST", "/api/policy", { token: admin.token, body: { name: "Bad", rules: [{ type: "block_ip", config: { ...BLOCK_RULE.config, threshold: 0 } }] } })).body).toMatchObject({
      error: { code: "validation_failed", details: [{ path: "rules[0].config.threshold", message: "must be greater than 0" }] },
    });
    expect((await api(publishRoute.POST, "POST", "/api/policy", { token: viewer.token, body: { name: "x", rules: [BLOCK_RULE] } })).status).toBe(403);
    expect((await api(publishRoute.POST, "POST", "/api/policy", { token: admin.token, body: "[" })).status).toBe(400);
    expect((await api(agentsRoute.GET, "GET", "/api/agents")).status).toBe(401);
    expect((await api(agentRoute.DELETE, "DELETE", "/api/agents/{id}", { token: admin.token, params: agentParams })).status).toBe(200);
    expect((await api(agentRoute.GET, "GET", "/api/agents/{id}", { token: viewer.token, params: { id: "agent-none" } })).status).toBe(404);
  });

  it("saw every documented operation succeed (Auth.js's endpoints aside)", () => {
    const operations = Object.entries(paths).flatMap(([template, item]) =>
      METHODS.filter((method) => item[method.toLowerCase() as Exclude<Lower, "options">]).map((method) => `${method} ${template}`),
    );
    const succeeded = (operation: string) => [...seen].some((entry) => entry.startsWith(`${operation} 2`) || (operation.startsWith("HEAD ") && entry.startsWith(operation)));
    expect(operations.filter((operation) => !operation.includes("/api/auth/") && !succeeded(operation))).toEqual([]);
  });
});
