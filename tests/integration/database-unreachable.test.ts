import { createServer, type Server } from "node:net";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as agentRoute from "@/app/api/agents/[id]/route";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as policies from "@/app/api/policies/route";
import { createPolicyAction } from "@/app/(console)/policies/actions";
import { getDb, isDatabaseUnreachable, openPostgres, schema } from "@/db";
import { heartbeats } from "@/lib/agents/heartbeats";
import { ApiError } from "@/lib/errors";
import { enrollAgent } from "../agent-helpers";
import { acceptedCredential, createRouteFixture, readBody, routeHandlers, ROUTES, send, type RouteFixture } from "../api-routes";
import { consoleSession } from "../console-session";
import { leanAdapter } from "../data-plane-adapters";
import { call, createTestOrg } from "../helpers";

// Console actions read the session through next/headers; here they run as `consoleSession.user`.
vi.mock("@/lib/auth/session", async (importOriginal) => (await import("../console-session")).sessionAsConsoleUser(importOriginal));

/** A TCP server standing in for a database host: refusing nothing, and answering as `behave` says. */
async function fakeDatabaseHost(behave: "close at once" | "say nothing"): Promise<{ url: string; server: Server }> {
  const server = createServer((socket) => {
    if (behave === "close at once") socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `postgres://palisade@127.0.0.1:${port}/palisade`, server };
}

/** A port nothing listens on: connections to it are refused. */
async function closedPortUrl(): Promise<string> {
  const { url, server } = await fakeDatabaseHost("say nothing");
  await new Promise((resolve) => server.close(resolve));
  return url;
}

const CONNECTION = "database connection";

/**
 * Runs `work` while every query of this process goes to a host that refuses connections, as when PostgreSQL is
 * stopped: the process's one database client (db/index.ts, a process singleton) is swapped for one pointing there,
 * then put back.
 */
async function whileDatabaseIsDown<T>(work: () => Promise<T>): Promise<T> {
  const registry = globalThis.palisadeSingletons!;
  const real = registry.get(CONNECTION) as Record<string, unknown>;
  const refused = openPostgres(await closedPortUrl(), { max: 2 });
  registry.set(CONNECTION, { ...real, db: drizzle({ client: refused, schema }) });
  try {
    return await work();
  } finally {
    registry.set(CONNECTION, real);
    await refused.end({ timeout: 1 });
  }
}

const failureOf = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

describe("telling an unreachable database from a failed statement", () => {
  it("recognises the driver's errors for a refused connection, a silent host and a host that hangs up, as drizzle wraps them", async () => {
    const refused = openPostgres(await closedPortUrl(), { max: 1 });
    const refusal = await failureOf(drizzle({ client: refused }).execute(sql`select 1`));
    expect(refusal).toBeInstanceOf(Error);
    expect(isDatabaseUnreachable(refusal)).toBe(true);
    await refused.end({ timeout: 1 });

    // A proxy whose database is down accepts, then hangs up without a word: postgres.js alone would retry that for
    // ever with the query pending (porsager/postgres#1193). It fails at once instead.
    const hangsUp = await fakeDatabaseHost("close at once");
    const client = openPostgres(hangsUp.url, { max: 1 });
    const started = Date.now();
    const closed = await failureOf(drizzle({ client }).execute(sql`select 1`));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(closed).toMatchObject({ cause: { code: "CONNECTION_CLOSED" } });
    expect(isDatabaseUnreachable(closed)).toBe(true);
    await client.end({ timeout: 1 });
    hangsUp.server.close();
  });

  it("does not take a statement the database refused, or a bug, for an outage", async () => {
    const org = await createTestOrg();
    const duplicate = await failureOf(getDb().execute(sql`insert into organizations (id, name) values (${org.orgId}, ${org.orgName})`));
    expect(duplicate).toBeInstanceOf(Error);
    expect(isDatabaseUnreachable(duplicate)).toBe(false);
    expect(isDatabaseUnreachable(await failureOf(getDb().execute(sql`select * from no_such_table`)))).toBe(false);
    expect(isDatabaseUnreachable(new TypeError("x is undefined"))).toBe(false);
    expect(isDatabaseUnreachable(ApiError.internal())).toBe(false);
    expect(isDatabaseUnreachable("ECONNREFUSED")).toBe(false);
  });

  it.runIf(process.env.PALISADE_TEST_ENGINE === "postgres")("recognises a query whose session the server ends, as a shutdown does", async () => {
    const victim = openPostgres(process.env.DATABASE_URL!, { max: 1 });
    const [session] = await victim<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const pid = session!.pid;
    const sleeping = failureOf(drizzle({ client: victim }).execute(sql`select pg_sleep(30)`));
    await expect.poll(async () => (await getDb().execute(sql`select pg_terminate_backend(${pid}) as done`)) && (await sleeping)).not.toBeNull();
    const terminated = await sleeping;
    // The server's FATAL 57P01, or the connection closing or reset under the query, whichever postgres.js sees first.
    expect(["57P01", "CONNECTION_CLOSED", "ECONNRESET"]).toContain((terminated as Error & { cause: { code: string } }).cause.code);
    expect(isDatabaseUnreachable(terminated)).toBe(true);
    await victim.end({ timeout: 1 });
  });
});

const handlers = await routeHandlers();
const DATA_PLANE = new Set(["GET /api/agents/stream", "POST /api/agents/heartbeat", "GET /api/events"]);

describe("while the database cannot be reached", () => {
  // Nothing is written while the database is down, so one organization serves every route.
  let fixture: RouteFixture;
  beforeAll(async () => {
    fixture = await createRouteFixture({ rollout: true });
  });

  it.each(handlers.map((route) => [route.key, route] as const))("%s answers 503 with Retry-After in its family's shape", async (_key, route) => {
    const spec = ROUTES[route.key];
    if (!spec) throw new Error(`${route.key} has no entry in tests/api-routes.ts`);
    const request = (await spec.request?.(fixture)) ?? {};
    const response = await whileDatabaseIsDown(() => send(route, request, acceptedCredential(spec, fixture)));
    const body = await readBody(response);
    expect(response.status, body).toBe(spec.whileDatabaseDown ?? 503);
    if (spec.whileDatabaseDown !== undefined) return;
    const message = "Palisade cannot reach its database right now. Retry after the delay in Retry-After.";
    if (spec.family === "detail") expect(JSON.parse(body)).toMatchObject({ detail: message });
    else expect(JSON.parse(body)).toMatchObject({ ok: false, error: { code: "unavailable", message, details: [] } });
    const retryAfter = Number(response.headers.get("retry-after"));
    // The data plane's clients (a fleet, every open console) are told to come back spread over 5–15 s, so they do
    // not all return at once.
    if (DATA_PLANE.has(route.key)) expect([retryAfter >= 5, retryAfter <= 15]).toEqual([true, true]);
    else expect(retryAfter).toBe(5);
  });

  it("the server entry's lean data plane answers the same", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const lean = leanAdapter();
    try {
      const auth = { authorization: `Bearer ${agent.token}` };
      const [stream, beat] = await whileDatabaseIsDown(async () => [
        await lean.fetch("/api/agents/stream", { headers: auth }),
        await lean.fetch("/api/agents/heartbeat", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ policyVersion: null }) }),
      ]);
      for (const response of [stream, beat]) {
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({ ok: false, error: { code: "unavailable" } });
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(5);
      }
    } finally {
      await lean.close();
    }
  });

  it("a heartbeat answered from memory is written once the database is back, not lost", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const beat = () => call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token: agent.token, body: { policyVersion: null, hostname: "during-outage" } });
    // The first beat caches the agent's token and its organization's versions, as a running fleet has.
    expect((await beat()).status).toBe(200);
    await heartbeats().flush();
    const answered = await whileDatabaseIsDown(async () => {
      const response = await beat();
      expect(response.status).toBe(200);
      // The flush cannot write it now; the beat is kept.
      await heartbeats().flush();
      return ((await response.json()) as { data: { serverTime: string } }).data.serverTime;
    });
    await heartbeats().flush();
    const shown = await call(agentRoute.GET, "GET", `/api/agents/${agent.agentId}`, { token: org.admin.token, params: { id: agent.agentId } });
    expect((await shown.json()) as unknown).toMatchObject({ data: { hostname: "during-outage", lastSeenAt: answered } });
  });

  it("a console action says so plainly, and the API works again the moment the database is back", async () => {
    const org = await createTestOrg();
    consoleSession.user = org.admin.user;
    const result = await whileDatabaseIsDown(() => createPolicyAction(undefined, { name: "During the outage", type: "access", rules: ["Deny"] }));
    expect(result).toEqual({ error: "Palisade cannot reach its database right now. Try again in a moment." });

    const listed = await call(policies.GET, "GET", "/api/policies", { token: org.admin.token });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { name: string }[]).map((policy) => policy.name)).not.toContain("During the outage");
  });
});

afterAll(() => {
  consoleSession.user = null;
});
