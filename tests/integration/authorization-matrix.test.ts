import { beforeAll, describe, expect, it } from "vitest";
import {
  createRouteFixture,
  readBody,
  routeHandlers,
  ROUTES,
  send,
  unknownCredential,
  type RouteFixture,
  type RouteHandler,
  type RouteSpec,
} from "../api-routes";
import { createTestOrg, type TestOrg } from "../helpers";

/**
 * Every route × every kind of caller, against the statuses docs/api.md documents. The routes come from the file
 * system, so a route added without an entry in tests/api-routes.ts fails here.
 */

const CALLERS = [
  "no credential",
  "bad token",
  "revoked token",
  "expired token",
  "viewer",
  "admin of another organization",
  "agent token",
  "enrolment key",
  "admin",
  "admin's console session",
] as const;
type Caller = (typeof CALLERS)[number];

/** The headers each caller sends. "Bad" and "revoked" are of the kind the route takes: an agent token for agent routes. */
function headersOf(caller: Caller, spec: RouteSpec, fixture: RouteFixture, other: TestOrg): Record<string, string> {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  switch (caller) {
    case "no credential":
      return {};
    case "bad token":
      return bearer(unknownCredential(spec));
    case "revoked token":
      return bearer(spec.access === "agent" ? fixture.revokedAgentToken : fixture.revokedApiToken);
    case "expired token":
      return bearer(fixture.expiredApiToken);
    case "viewer":
      return bearer(fixture.org.viewer.token);
    case "admin of another organization":
      return bearer(other.admin.token);
    case "agent token":
      return bearer(fixture.agent.token);
    case "enrolment key":
      return bearer(fixture.enrollmentKey.secret);
    case "admin":
      return bearer(fixture.org.admin.token);
    case "admin's console session":
      return { cookie: fixture.adminSession, origin: "http://localhost", "sec-fetch-site": "same-origin" };
  }
}

/**
 * The documented status (docs/api.md, Authentication): no, bad, revoked or expired credentials, and credentials of
 * another kind, answer 401; a viewer calling an admin route 403; another organization's admin 404 for an object of
 * this one (its own collections answer as usual).
 */
function expectedStatus(route: RouteHandler, spec: RouteSpec, caller: Caller): number {
  if (spec.access === "public") return spec.ok;
  if (spec.access === "agent") return caller === "agent token" ? spec.ok : 401;
  if (spec.access === "session") return caller === "admin's console session" ? spec.ok : 401;
  switch (caller) {
    case "viewer":
      return spec.access === "admin" ? 403 : spec.ok;
    case "admin of another organization":
      return spec.otherOrganization ?? (route.pattern.includes("[") ? 404 : spec.ok);
    case "admin":
    case "admin's console session":
      return spec.ok;
    default:
      return 401;
  }
}

const ERROR_CODES: Record<number, string> = { 401: "unauthenticated", 403: "forbidden", 404: "not_found" };

/** A refusal in the route's family: `{"detail": …}`, or the envelope with the status's code. */
function expectRefusalShape(spec: RouteSpec, status: number, body: string, headers: Headers) {
  if (spec.family === "none" || !(status in ERROR_CODES)) return;
  const json = JSON.parse(body) as Record<string, unknown>;
  if (spec.family === "detail") expect(json).toEqual({ detail: expect.any(String) });
  else expect(json).toMatchObject({ ok: false, error: { code: ERROR_CODES[status] } });
  if (status === 401) expect(headers.get("www-authenticate")).toBe("Bearer");
}

const handlers = await routeHandlers();

describe("the authorization matrix", () => {
  it("has an entry for every route on disk, and no entry for a route that is gone", () => {
    const onDisk = handlers.map((route) => route.key).sort();
    expect(onDisk).toEqual(Object.keys(ROUTES).sort());
  });

  // Calls that change what they act on make it fresh (tests/api-routes.ts), so one organization serves every route.
  let shared: RouteFixture;
  beforeAll(async () => {
    shared = await createRouteFixture();
  });

  it.each(handlers.map((route) => [route.key, route] as const))("%s", async (_key, route) => {
    const spec = ROUTES[route.key];
    if (!spec) throw new Error(`${route.key} has no entry in tests/api-routes.ts`);
    // Its own other organization: what another admin's accepted calls create must not decide another route's 404.
    const other = await createTestOrg();
    // Promoting or aborting ends the rollout: those routes get an organization with one in progress, anew after each.
    let fixture = spec.rollout ? await createRouteFixture({ rollout: true }) : shared;
    const seen: Record<string, number> = {};
    const expected: Record<string, number> = {};
    for (const caller of CALLERS) {
      const response = await send(route, (await spec.request?.(fixture)) ?? {}, headersOf(caller, spec, fixture, other));
      const body = await readBody(response);
      seen[caller] = response.status;
      expected[caller] = expectedStatus(route, spec, caller);
      if (response.status === expected[caller]) expectRefusalShape(spec, response.status, body, response.headers);
      if (spec.rollout && response.status < 300) fixture = await createRouteFixture({ rollout: true });
    }
    expect(seen).toEqual(expected);
  });
});
