import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import * as enrollRoute from "@/app/api/agents/enroll/route";
import * as policiesRoute from "@/app/api/policies/route";
import * as policyItem from "@/app/api/policies/[id]/route";
import * as agentPolicyRoute from "@/app/api/policy/route";
import { publicRoute } from "@/lib/api/route";
import type { ApiFamily } from "@/lib/errors";
import { createLogger, logger, LOGGER_SINGLETON } from "@/lib/log";
import { dropProcessSingleton, processSingleton } from "@/lib/singleton";
import { enrollAgent } from "../agent-helpers";
import { leanAdapter, routeHandlerAdapter, type PlaneAdapter } from "../data-plane-adapters";
import { call, createTestOrg, type TestOrg } from "../helpers";

/**
 * Request ids (X-Request-Id) on every response and in the envelope family's error bodies, and the log line of each
 * request, on the route handlers (`next start`, Vercel) and on the server entry's node:http path (`npm start`).
 */
const adapters: Record<PlaneAdapter["name"], PlaneAdapter> = { "route handler": routeHandlerAdapter(), "node:http (lean)": leanAdapter() };
afterAll(() => Promise.all(Object.values(adapters).map((adapter) => adapter.close())));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let org: TestOrg;
beforeEach(async () => {
  org = await createTestOrg();
});

const failing = (family: ApiFamily) => publicRoute(family, () => Promise.reject(new Error("an unexpected fault")));
const heartbeat = (adapter: PlaneAdapter, headers: Record<string, string> = {}) =>
  adapter.fetch("/api/agents/heartbeat", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ policyVersion: null }) });

const ERRORS: { name: string; family: ApiFamily; status: number; send: () => Promise<Response> }[] = [
  { name: "policies without a credential", family: "detail", status: 401, send: () => call(policiesRoute.GET, "GET", "/api/policies") },
  { name: "a viewer creating a policy", family: "detail", status: 403, send: () => call(policiesRoute.POST, "POST", "/api/policies", { token: org.viewer.token, body: {} }) },
  { name: "an unknown policy", family: "detail", status: 404, send: () => call(policyItem.GET, "GET", "/api/policies/pol-none", { token: org.viewer.token, params: { id: "pol-none" } }) },
  { name: "a policy that is not JSON", family: "detail", status: 400, send: () => call(policiesRoute.POST, "POST", "/api/policies", { token: org.admin.token, body: "{" }) },
  { name: "an invalid policy", family: "detail", status: 422, send: () => call(policiesRoute.POST, "POST", "/api/policies", { token: org.admin.token, body: {} }) },
  { name: "a fault in the detail family", family: "detail", status: 500, send: () => call(failing("detail"), "GET", "/api/policies") },
  { name: "a publish without a credential", family: "envelope", status: 401, send: () => call(agentPolicyRoute.POST, "POST", "/api/policy", { body: {} }) },
  { name: "a publish that is not JSON", family: "envelope", status: 400, send: () => call(agentPolicyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: "{" }) },
  { name: "an invalid publish", family: "envelope", status: 422, send: () => call(agentPolicyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: {} }) },
  { name: "an enrolment with a wrong key", family: "envelope", status: 401, send: () => call(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey: "penr_wrong", hostname: "h" } }) },
  { name: "a fault in the envelope family", family: "envelope", status: 500, send: () => call(failing("envelope"), "GET", "/api/policy") },
  ...Object.values(adapters).flatMap((adapter) => [
    { name: `a heartbeat without a credential (${adapter.name})`, family: "envelope" as const, status: 401, send: () => heartbeat(adapter) },
    { name: `a stream without a credential (${adapter.name})`, family: "envelope" as const, status: 401, send: () => adapter.fetch("/api/agents/stream") },
  ]),
];

describe("every error response", () => {
  it.each(ERRORS)("carries its request id: $name", async ({ family, status, send }) => {
    const response = await send();
    expect(response.status).toBe(status);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(UUID);
    const body = (await response.json()) as Record<string, unknown> & { error?: { requestId?: string } };
    // The detail family's bodies stay exactly as documented; the envelope's error names the id.
    if (family === "detail") expect(Object.keys(body)).toEqual(["detail"]);
    else expect(body.error?.requestId).toBe(requestId);
  });
});

describe("a request id sent by the client", () => {
  const KEPT = ["req-7f3a_09.b:c/d+e=", "x".repeat(128), "4bf92f3577b34da6a3ce929d0e0e4736"];
  const REPLACED = ["x".repeat(129), "has space", 'quo"te', "caf\u00e9", "a;b", ""];
  const senders: [string, (id: string) => Promise<Response>][] = [
    ["policies (route handler)", (id) => call(policiesRoute.GET, "GET", "/api/policies", { headers: { "x-request-id": id } })],
    ...Object.values(adapters).map((adapter): [string, (id: string) => Promise<Response>] => [`heartbeat (${adapter.name})`, (id) => heartbeat(adapter, { "x-request-id": id })]),
  ];

  it.each(senders)("is kept when well formed, and replaced when not: %s", async (_, send) => {
    for (const id of KEPT) expect((await send(id)).headers.get("x-request-id")).toBe(id);
    for (const id of REPLACED) expect((await send(id)).headers.get("x-request-id"), JSON.stringify(id)).toMatch(UUID);
    const [first, second] = await Promise.all([send(""), send("")]);
    expect(first!.headers.get("x-request-id")).not.toBe(second!.headers.get("x-request-id"));
  });
});

describe("the log", () => {
  let lines: Record<string, unknown>[] = [];
  let written = "";
  beforeEach(() => {
    lines = [];
    written = "";
    const destination = {
      write(line: string) {
        written += line;
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    };
    dropProcessSingleton(LOGGER_SINGLETON);
    processSingleton(LOGGER_SINGLETON, () => createLogger({ level: "debug", destination }));
  });
  afterEach(() => {
    dropProcessSingleton(LOGGER_SINGLETON);
  });
  const requestLine = (requestId: string | null) => lines.find((line) => line.msg === "request" && line.requestId === requestId);

  it("has one line per request: its id, route, status, duration, organization and user, and never its token", async () => {
    const response = await call(policyItem.GET, "GET", "/api/policies/pol-mfa-required?verbose=1", { token: org.viewer.token, params: { id: "pol-mfa-required" } });
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id");
    expect(lines.filter((line) => line.requestId === requestId)).toEqual([
      {
        level: "info",
        time: expect.any(String),
        pid: process.pid,
        hostname: expect.any(String),
        requestId,
        method: "GET",
        route: "/api/policies/[id]",
        path: "/api/policies/pol-mfa-required",
        status: 200,
        durationMs: expect.any(Number),
        orgId: org.orgId,
        actorId: org.viewer.user.id,
        msg: "request",
      },
    ]);
    expect(written).not.toContain(org.viewer.token);
    expect(written.toLowerCase()).not.toContain("bearer");
  });

  it("logs an agent's heartbeat at debug on the server entry's path, as the agent, without its token", async () => {
    const agent = await enrollAgent(org);
    const adapter = adapters["node:http (lean)"];
    const response = await heartbeat(adapter, { authorization: `Bearer ${agent.token}` });
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id");
    await expect.poll(() => requestLine(requestId)).toMatchObject({ level: "debug", route: "/api/agents/heartbeat", status: 200, orgId: org.orgId, actorId: agent.agentId });
    expect(written).not.toContain(agent.token);
  });

  it("names the request in every line written while it is served, an unexpected error's included", async () => {
    const response = await call(failing("envelope"), "POST", "/api/policy", { token: org.admin.token });
    const requestId = response.headers.get("x-request-id");
    expect(lines.filter((line) => line.requestId === requestId).map(({ level, msg, error }) => ({ level, msg, error }))).toEqual([
      { level: "error", msg: "POST /api/policy", error: "Error: an unexpected fault" },
      { level: "info", msg: "request", error: undefined },
    ]);
  });

  it("never writes the value of a secret-named field, should a log call pass one", () => {
    logger().info({ authorization: "Bearer pal_leaked", details: { token: "pagt_leaked", password: "hunter22" } }, "careless");
    expect(lines.at(-1)).toMatchObject({ authorization: "[redacted]", details: { token: "[redacted]", password: "[redacted]" } });
    expect(written).not.toContain("leaked");
  });
});
