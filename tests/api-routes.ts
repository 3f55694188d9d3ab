import { readdirSync } from "node:fs";
import path from "node:path";
import { NextRequest } from "next/server";
import { createApiToken, revokeApiToken } from "@/lib/auth/api-tokens";
import { actorFor } from "@/lib/auth/principal";
import { issueSecret } from "@/lib/auth/secrets";
import { revokeAgent } from "@/lib/agents/service";
import { fileChangeRequestFor } from "@/lib/change-requests/service";
import { BLOCK_RULE, enroll, publish } from "./agent-helpers";
import * as enrollmentKeys from "@/app/api/agents/enrollment-keys/route";
import * as auditDestinations from "@/app/api/audit-logs/destinations/route";
import * as policies from "@/app/api/policies/route";
import * as policyRoute from "@/app/api/policy/route";
import { call, createTestOrg, createTestUser, sessionCookie, type TestOrg, type TestUser } from "./helpers";
import type { TestAgent } from "./agent-helpers";

/**
 * Every route handler of the app, found on disk, and one table that says, for each, who may call it and how a call
 * it accepts looks. The authorization matrix, the fuzz test and the database outage test all run over it, so a
 * route added without an entry here fails them (`routeHandlers()` against `ROUTES`).
 */

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type Method = (typeof HTTP_METHODS)[number];

type Params = Record<string, string | string[]>;
type Handler = (request: NextRequest, context: { params: Promise<Params> }) => Response | Promise<Response>;

export interface RouteHandler {
  /** `GET /api/policies/[id]`: the method, then the route's folder as the file system names it (route groups left out). */
  key: string;
  method: Method;
  pattern: string;
  handler: Handler;
}

/** Every exported HTTP method of every `route.ts` under app/. */
export async function routeHandlers(): Promise<RouteHandler[]> {
  const app = path.resolve("app");
  const files = readdirSync(app, { recursive: true, encoding: "utf8" })
    .filter((file) => path.basename(file) === "route.ts")
    .sort();
  const found: RouteHandler[] = [];
  for (const file of files) {
    const segments = path.dirname(file).split(path.sep).filter((segment) => !/^\(.*\)$/.test(segment));
    const pattern = `/${segments.join("/")}`;
    const exported = (await import(path.join(app, file))) as Record<string, unknown>;
    for (const method of HTTP_METHODS) {
      const handler = exported[method];
      if (typeof handler === "function") found.push({ key: `${method} ${pattern}`, method, pattern, handler: handler as Handler });
    }
  }
  return found;
}

/**
 * One organization for the routes to act on: objects to read, and `fresh` ones for a call that changes or ends what
 * it acts on (a delete, an approval), so that calls never depend on each other's effects.
 */
export interface RouteFixture {
  org: TestOrg;
  policyId: string;
  agent: TestAgent;
  enrollmentKey: { id: string; secret: string };
  revokedApiToken: string;
  expiredApiToken: string;
  revokedAgentToken: string;
  adminSession: string;
  fresh: {
    policy(): Promise<string>;
    agent(): Promise<TestAgent>;
    enrollmentKey(): Promise<{ id: string; secret: string }>;
    /** Filed by a second admin (an admin cannot approve their own). */
    changeRequest(): Promise<string>;
    /** An audit streaming destination (a public address: the SSRF guard is on). */
    auditDestination(): Promise<string>;
  };
}

/** A destination at a public documentation address (TEST-NET-3): nothing is listening, nothing needs DNS. */
export const AUDIT_DESTINATION_BODY = { url: "https://203.0.113.10/siem", secret: "fixture-hmac-secret-0123456789" };

/** v1 is published to the fleet; with `rollout`, v2 is rolling out to the agents labelled `ring=canary`. */
export async function createRouteFixture({ rollout = false } = {}): Promise<RouteFixture> {
  const org = await createTestOrg();
  const actor = actorFor(org.admin.user);
  let secondAdmin: Promise<TestUser> | undefined;

  const fresh: RouteFixture["fresh"] = {
    async policy() {
      const created = await call(policies.POST, "POST", "/api/policies", { token: org.admin.token, body: { name: "Fixture", type: "network", rules: ["Deny telnet"] } });
      return ((await created.json()) as { id: string }).id;
    },
    async enrollmentKey() {
      const created = await call(enrollmentKeys.POST, "POST", "/api/agents/enrollment-keys", { token: org.admin.token, body: {} });
      const { data } = (await created.json()) as { data: { id: string; key: string } };
      return { id: data.id, secret: data.key };
    },
    agent: () => enroll(enrollmentKey.secret, "fixture-host", { ring: "canary" }),
    async auditDestination() {
      const created = await call(auditDestinations.POST, "POST", "/api/audit-logs/destinations", { token: org.admin.token, body: AUDIT_DESTINATION_BODY });
      if (created.status !== 201) throw new Error(`audit destination: ${created.status} ${await created.text()}`);
      return ((await created.json()) as { id: string }).id;
    },
    async changeRequest() {
      secondAdmin ??= createTestUser("admin", { id: org.orgId });
      const filed = await fileChangeRequestFor({ actor: actorFor((await secondAdmin).user), action: "disable_policy", target: await fresh.policy(), reason: "fixture" });
      return filed.id;
    },
  };

  const enrollmentKey = await fresh.enrollmentKey();
  const agent = await fresh.agent();
  const revokedAgent = await enroll(enrollmentKey.secret, "revoked-host");
  await revokeAgent({ actor, id: revokedAgent.agentId });
  await publish(org, [BLOCK_RULE], "Fixture v1");
  if (rollout) {
    const response = await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: { name: "Canary", rules: [BLOCK_RULE], selector: "ring=canary" } });
    if (response.status !== 201) throw new Error(`rollout: ${response.status} ${await response.text()}`);
  }
  const revoked = await createApiToken({ actor, user: org.admin.user, name: "revoked", expiresAt: null });
  await revokeApiToken({ id: revoked.token.id, actor });
  const expired = await createApiToken({ actor, user: org.admin.user, name: "expired", expiresAt: new Date(Date.now() - 1000) });

  return {
    org,
    policyId: await fresh.policy(),
    agent,
    enrollmentKey,
    revokedApiToken: revoked.secret,
    expiredApiToken: expired.secret,
    revokedAgentToken: revokedAgent.token,
    adminSession: await sessionCookie(org.admin.user),
    fresh,
  };
}

/** What a call sends besides its credential. A string body is sent as it is. */
export interface RouteRequest {
  params?: Params;
  body?: unknown;
  /** The query string, without `?`. */
  query?: string;
}

export type Access =
  /** API token or console session; viewers and admins */
  | "viewer"
  /** API token or console session; admins only (viewers get 403) */
  | "admin"
  /** an agent token only */
  | "agent"
  /** the console session only (`GET /api/session`) */
  | "session"
  /** no credential: every caller gets the same answer */
  | "public";

export interface RouteSpec {
  access: Access;
  /** The error shape the route answers in; "none" for routes that have their own (health, Auth.js). */
  family: "detail" | "envelope" | "none";
  /** The status of a call the route accepts, made with the credential it takes. */
  ok: number;
  /** What the accepted call sends; it may make what the call acts on. */
  request?: (fixture: RouteFixture) => RouteRequest | Promise<RouteRequest>;
  /**
   * What another organization's admin gets, when not the rule: 404 for an object of this organization named in the
   * path, else what any admin gets in their own organization.
   */
  otherOrganization?: number;
  /** The fixture needs a staged rollout in progress (promote, abort). */
  rollout?: boolean;
  /** The status while the database cannot be reached, when not a 503 in the family's shape. */
  whileDatabaseDown?: number;
}

const id = (value: string) => ({ params: { id: value } });

export const ROUTES: Record<string, RouteSpec> = {
  "GET /api/agents": { access: "viewer", family: "envelope", ok: 200, request: () => ({ query: "status=all" }) },
  "GET /api/agents/[id]": { access: "viewer", family: "envelope", ok: 200, request: (f) => id(f.agent.agentId) },
  "DELETE /api/agents/[id]": { access: "admin", family: "envelope", ok: 200, request: async (f) => id((await f.fresh.agent()).agentId) },
  "PUT /api/agents/[id]/labels": { access: "admin", family: "envelope", ok: 200, request: async (f) => ({ ...id((await f.fresh.agent()).agentId), body: { labels: { ring: "blue" } } }) },
  "POST /api/agents/enroll": { access: "public", family: "envelope", ok: 201, request: (f) => ({ body: { enrollmentKey: f.enrollmentKey.secret, hostname: "enrolled-host" } }) },
  "GET /api/agents/enrollment-keys": { access: "admin", family: "envelope", ok: 200 },
  "POST /api/agents/enrollment-keys": { access: "admin", family: "envelope", ok: 201, request: () => ({ body: { uses: 3, expiresHours: 2 } }) },
  "DELETE /api/agents/enrollment-keys/[id]": { access: "admin", family: "envelope", ok: 200, request: async (f) => id((await f.fresh.enrollmentKey()).id) },
  "POST /api/agents/heartbeat": { access: "agent", family: "envelope", ok: 200, request: () => ({ body: { policyVersion: "v1", hostname: "fixture-host" } }) },
  "GET /api/agents/stream": { access: "agent", family: "envelope", ok: 200 },
  "GET /api/audit-logs": { access: "viewer", family: "detail", ok: 200, request: () => ({ query: "action=toggle_policy&limit=5" }) },
  "GET /api/audit-logs/checkpoints": { access: "viewer", family: "detail", ok: 200, request: () => ({ query: "limit=5" }) },
  "POST /api/audit-logs/checkpoints": { access: "admin", family: "detail", ok: 201 },
  "GET /api/audit-logs/keys": { access: "viewer", family: "detail", ok: 200 },
  "GET /api/audit-logs/export": { access: "viewer", family: "detail", ok: 200, request: () => ({ query: "format=json&limit=10" }) },
  "GET /api/audit-logs/destinations": { access: "admin", family: "detail", ok: 200 },
  "POST /api/audit-logs/destinations": { access: "admin", family: "detail", ok: 201, request: () => ({ body: AUDIT_DESTINATION_BODY }) },
  "PATCH /api/audit-logs/destinations/[id]": { access: "admin", family: "detail", ok: 200, request: async (f) => ({ ...id(await f.fresh.auditDestination()), body: { enabled: false } }) },
  "DELETE /api/audit-logs/destinations/[id]": { access: "admin", family: "detail", ok: 200, request: async (f) => id(await f.fresh.auditDestination()) },
  "GET /api/audit-logs/destinations/[id]/deliveries": { access: "admin", family: "detail", ok: 200, request: async (f) => ({ ...id(await f.fresh.auditDestination()), query: "state=dead" }) },
  "POST /api/audit-logs/destinations/[id]/replay": { access: "admin", family: "detail", ok: 200, request: async (f) => ({ ...id(await f.fresh.auditDestination()), body: {} }) },
  // Next would run GET for HEAD: an audited export nobody reads. Refused for everyone, without the database.
  "HEAD /api/audit-logs/export": { access: "public", family: "none", ok: 405, whileDatabaseDown: 405 },
  // Auth.js's own endpoints: a Bearer credential means nothing to them. The session read needs no database without
  // a session cookie; a sign-out without the CSRF token of Auth.js's own form is refused (400) before anything else.
  "GET /api/auth/[...nextauth]": { access: "public", family: "none", ok: 200, request: () => ({ params: { nextauth: ["session"] } }), whileDatabaseDown: 200 },
  "POST /api/auth/[...nextauth]": { access: "public", family: "none", ok: 400, request: () => ({ params: { nextauth: ["signout"] }, body: "" }), whileDatabaseDown: 400 },
  "GET /api/change-requests": { access: "viewer", family: "detail", ok: 200, request: () => ({ query: "state=pending" }) },
  // The body names this organization's policy, which the other organization does not have.
  "POST /api/change-requests": { access: "admin", family: "detail", ok: 201, otherOrganization: 404, request: async (f) => ({ body: { action: "delete_policy", target: await f.fresh.policy(), reason: "matrix" } }) },
  "POST /api/change-requests/[id]/approve": { access: "admin", family: "detail", ok: 200, request: async (f) => ({ ...id(await f.fresh.changeRequest()), body: { comment: "ok" } }) },
  "POST /api/change-requests/[id]/cancel": { access: "admin", family: "detail", ok: 200, request: async (f) => id(await f.fresh.changeRequest()) },
  "POST /api/change-requests/[id]/reject": { access: "admin", family: "detail", ok: 200, request: async (f) => ({ ...id(await f.fresh.changeRequest()), body: { comment: "no" } }) },
  "GET /api/events": { access: "viewer", family: "envelope", ok: 200 },
  "GET /api/health": { access: "public", family: "none", ok: 200, whileDatabaseDown: 503 },
  "GET /api/organization/settings": { access: "viewer", family: "detail", ok: 200 },
  "PUT /api/organization/settings": { access: "admin", family: "detail", ok: 200, request: () => ({ body: { fourEyes: false } }) },
  "GET /api/policies": { access: "viewer", family: "detail", ok: 200, request: () => ({ query: "type=network&enabled=true" }) },
  "POST /api/policies": { access: "admin", family: "detail", ok: 201, request: () => ({ body: { name: "Block USB storage", type: "access", rules: ["Deny mass storage"], description: "d" } }) },
  "GET /api/policies/[id]": { access: "viewer", family: "detail", ok: 200, request: (f) => id(f.policyId) },
  "PATCH /api/policies/[id]": { access: "admin", family: "detail", ok: 200, request: async (f) => ({ ...id(await f.fresh.policy()), body: { enabled: false } }) },
  "PUT /api/policies/[id]": { access: "admin", family: "detail", ok: 200, request: async (f) => ({ ...id(await f.fresh.policy()), body: { description: "changed", rules: ["Deny ftp"] } }) },
  "DELETE /api/policies/[id]": { access: "admin", family: "detail", ok: 200, request: async (f) => id(await f.fresh.policy()) },
  "GET /api/policies/[id]/revisions": { access: "viewer", family: "detail", ok: 200, request: (f) => id(f.policyId) },
  "GET /api/policies/[id]/revisions/[revision]": { access: "viewer", family: "detail", ok: 200, request: (f) => ({ params: { id: f.policyId, revision: "1" } }) },
  "POST /api/policies/[id]/revisions/[revision]/restore": { access: "admin", family: "detail", ok: 200, request: async (f) => ({ params: { id: await f.fresh.policy(), revision: "1" } }) },
  "POST /api/policy": { access: "admin", family: "envelope", ok: 201, request: () => ({ body: { name: "Published", description: "d", rules: [BLOCK_RULE] } }) },
  // Another organization that has published nothing has no active version.
  "GET /api/policy/active": { access: "viewer", family: "envelope", ok: 200, otherOrganization: 404 },
  "GET /api/policy/agent/[id]": { access: "viewer", family: "envelope", ok: 200, request: (f) => id(f.agent.agentId) },
  "PUT /api/policy/agent/[id]/overrides": { access: "admin", family: "envelope", ok: 200, request: async (f) => ({ ...id((await f.fresh.agent()).agentId), body: { rules: [{ type: "block_ip", config: { threshold: 10 } }] } }) },
  "GET /api/policy/versions": { access: "viewer", family: "envelope", ok: 200, request: () => ({ query: "limit=10" }) },
  "GET /api/policy/versions/[version]": { access: "viewer", family: "envelope", ok: 200, request: () => ({ params: { version: "v1" } }) },
  "POST /api/policy/versions/[version]/abort": { access: "admin", family: "envelope", ok: 200, rollout: true, request: () => ({ params: { version: "v2" } }) },
  "POST /api/policy/versions/[version]/promote": { access: "admin", family: "envelope", ok: 200, rollout: true, request: () => ({ params: { version: "v2" } }) },
  "POST /api/policy/versions/[version]/republish": { access: "admin", family: "envelope", ok: 201, request: () => ({ params: { version: "v1" } }) },
  "GET /api/session": { access: "session", family: "detail", ok: 200 },
  // The OpenAPI document: public, generated from the code, no database.
  "GET /api/openapi.json": { access: "public", family: "none", ok: 200, whileDatabaseDown: 200 },
  // Without METRICS_TOKEN, as in these tests, /metrics does not exist for anyone; its token is tested in
  // tests/integration/metrics.test.ts.
  "GET /metrics": { access: "public", family: "none", ok: 404, whileDatabaseDown: 404 },
};

/** The path a pattern names with these parameters: `/api/policies/[id]` with `{id: "a b"}` is `/api/policies/a%20b`. */
export function pathFor(pattern: string, params: Params = {}): string {
  return pattern.replace(/\[(?:\.\.\.)?([^\]]+)\]/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${pattern}: no value for [${name}]`);
    // A lone surrogate cannot be percent-encoded; the handler still gets it as is, in `params`, as Next would pass it.
    return (Array.isArray(value) ? value : [value]).map((segment) => encodeURIComponent(segment.toWellFormed())).join("/");
  });
}

/** Calls a handler as Next.js does: a NextRequest built from what a client sent, and the route's parameters. */
export async function send(route: RouteHandler, request: RouteRequest, headers: Record<string, string> = {}): Promise<Response> {
  const init = new Headers(headers);
  let body: string | undefined;
  if (request.body !== undefined && route.method !== "GET" && route.method !== "HEAD") {
    body = typeof request.body === "string" ? request.body : JSON.stringify(request.body);
    if (!init.has("content-type")) init.set("content-type", "application/json");
  }
  const url = `http://localhost${pathFor(route.pattern, request.params)}${request.query ? `?${request.query}` : ""}`;
  return route.handler(new NextRequest(url, { method: route.method, headers: init, body }), { params: Promise.resolve(request.params ?? {}) });
}

/** The response's body as text; an event stream is only opened, then cancelled, as a client that leaves. */
export async function readBody(response: Response): Promise<string> {
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
    await response.body?.cancel();
    return "";
  }
  return response.text();
}

/** The headers that carry the credential a route takes, for its accepted call. */
export function acceptedCredential(spec: RouteSpec, fixture: RouteFixture): Record<string, string> {
  switch (spec.access) {
    case "agent":
      return { authorization: `Bearer ${fixture.agent.token}` };
    case "session":
      return { cookie: fixture.adminSession, origin: "http://localhost", "sec-fetch-site": "same-origin" };
    case "public":
      return {};
    default:
      return { authorization: `Bearer ${fixture.org.admin.token}` };
  }
}

/** A well-formed credential that no one was ever issued, of the kind the route takes. */
export function unknownCredential(spec: RouteSpec): string {
  return issueSecret(spec.access === "agent" ? "agentToken" : "apiToken").secret;
}
