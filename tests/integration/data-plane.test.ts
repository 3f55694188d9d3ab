import { afterAll, beforeEach, describe, expect, it } from "vitest";
import * as agentRoute from "@/app/api/agents/[id]/route";
import * as policyItem from "@/app/api/policies/[id]/route";
import * as overrides from "@/app/api/policy/agent/[id]/overrides/route";
import { eq } from "drizzle-orm";
import { getDb } from "@/db";
import { pruneAgentEvents } from "@/db/queries/agent-events";
import { streamPresence } from "@/db/schema";
import { env } from "@/lib/env";
import { hub, type Hub } from "@/lib/events/hub";
import { dropProcessSingleton } from "@/lib/singleton";
import { ALERT_RULE, BLOCK_RULE, enrollAgent, publish, type TestAgent } from "../agent-helpers";
import { leanAdapter, routeHandlerAdapter, type PlaneAdapter } from "../data-plane-adapters";
import { call, createTestOrg, type TestOrg } from "../helpers";
import { SseReader } from "../sse-client";

/**
 * The agent data plane as a client sees it, on both of its adapters: the route handlers (next dev, Vercel,
 * `next start`) and the server entry's lean node:http path (`npm start`). Each behaviour below runs on both, and
 * the error answers are compared byte for byte across them.
 */
const adapters: PlaneAdapter[] = [routeHandlerAdapter(), leanAdapter()];
afterAll(() => Promise.all(adapters.map((adapter) => adapter.close())));

// Both the test and the machine may be slow (a mutation-testing job shares it): generous, event-driven waits.
const EVENT_MS = 10_000;
const POLL = { timeout: 15_000, interval: 50 };

let org: TestOrg;
beforeEach(async () => {
  org = await createTestOrg();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
// Each error carries its request's id, the X-Request-Id of its response (checked below).
const envelope = (code: string, message: string, details: { path: string; message: string }[] = []) => ({
  ok: false,
  error: { code, message, details, requestId: expect.any(String) },
});
const UNAUTHENTICATED = envelope("unauthenticated", "Not authenticated");
const SHUTTING_DOWN = envelope("unavailable", "This server is shutting down. Reconnect.");

async function openStream(adapter: PlaneAdapter, token: string, lastEventId?: string): Promise<SseReader> {
  const headers: Record<string, string> = bearer(token);
  if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
  const response = await adapter.fetch("/api/agents/stream", { headers });
  if (response.status !== 200) throw new Error(`stream: ${response.status} ${await response.text()}`);
  return new SseReader(response);
}

function heartbeat(adapter: PlaneAdapter, token: string | null, body: unknown): Promise<Response> {
  return adapter.fetch("/api/agents/heartbeat", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token === null ? {} : bearer(token)) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const toggle = (id: string) => call(policyItem.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id } });
const setOverrides = (agentId: string, rules: unknown[]) => call(overrides.PUT, "PUT", "/overrides", { token: org.admin.token, params: { id: agentId }, body: { rules } });

/** About 900 KB of rules (the request body limit is 1 MiB), so a few versions outgrow any client's buffers. */
const BULKY_RULES = Array.from({ length: 200 }, (_, i) => ({
  type: "custom",
  config: { condition: `${i}:${"x".repeat(1990)}`, action: "alert", params: { pad: "y".repeat(2400) } },
}));

/**
 * The failures a client can cause, each with the one answer both adapters must give. `agent` is a live agent of
 * `org` with no version published.
 */
interface ErrorCase {
  name: string;
  request: (adapter: PlaneAdapter, agent: TestAgent) => Promise<Response>;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

// A body just over the 1 MiB limit. Sent as a string, its length is declared in Content-Length.
const OVERSIZED = JSON.stringify({ policyVersion: null, hostname: "h".repeat(1024 * 1024) });

const ERROR_CASES: ErrorCase[] = [
  {
    name: "a stream without Authorization",
    request: (adapter) => adapter.fetch("/api/agents/stream"),
    status: 401,
    body: UNAUTHENTICATED,
    headers: { "www-authenticate": "Bearer" },
  },
  {
    name: "a stream with an API token instead of an agent token",
    request: (adapter) => adapter.fetch("/api/agents/stream", { headers: bearer(org.admin.token) }),
    status: 401,
    body: UNAUTHENTICATED,
    headers: { "www-authenticate": "Bearer" },
  },
  {
    name: "a heartbeat without Authorization",
    request: (adapter) => heartbeat(adapter, null, { policyVersion: null }),
    status: 401,
    body: UNAUTHENTICATED,
    headers: { "www-authenticate": "Bearer" },
  },
  {
    name: "a heartbeat with an API token instead of an agent token",
    request: (adapter) => heartbeat(adapter, org.admin.token, { policyVersion: null }),
    status: 401,
    body: UNAUTHENTICATED,
    headers: { "www-authenticate": "Bearer" },
  },
  {
    name: "a heartbeat that is not JSON",
    request: (adapter, agent) => heartbeat(adapter, agent.token, '{"policyVersion": '),
    status: 400,
    body: envelope("invalid_json", "Malformed JSON in request body"),
  },
  {
    name: "a heartbeat that is JSON but not a heartbeat",
    request: (adapter, agent) => heartbeat(adapter, agent.token, { policyVersion: "latest", extra: 1 }),
    status: 422,
    body: envelope("validation_failed", "Request validation failed", [
      { path: "policyVersion", message: 'must look like "v3"' },
      { path: "", message: 'Unrecognized key: "extra"' },
    ]),
  },
  {
    name: "a heartbeat over 1 MiB",
    request: (adapter, agent) => heartbeat(adapter, agent.token, OVERSIZED),
    status: 413,
    body: envelope("payload_too_large", "Request body exceeds the 1048576-byte limit"),
  },
  {
    name: "a heartbeat reporting a version never published",
    request: (adapter, agent) => heartbeat(adapter, agent.token, { policyVersion: "v1" }),
    status: 422,
    body: envelope("validation_failed", "Request validation failed", [{ path: "policyVersion", message: "v1 has not been published (no version has been published yet)" }]),
  },
  {
    name: "the console feed without Authorization",
    request: (adapter) => adapter.fetch("/api/events"),
    status: 401,
    body: UNAUTHENTICATED,
    headers: { "www-authenticate": "Bearer" },
  },
];

describe.each(adapters)("the agent data plane over $name", (adapter) => {
  const lean = adapter.name === "node:http (lean)";

  describe("GET /api/agents/stream", () => {
    it("answers 200 with the SSE headers, the snapshot as `policy`, then each publish as `policy_version`", async () => {
      await publish(org, [BLOCK_RULE], "first");
      const agent = await enrollAgent(org);
      const stream = await openStream(adapter, agent.token);
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      expect(stream.response.headers.get("cache-control")).toBe("no-cache, no-transform");
      expect(stream.response.headers.get("x-accel-buffering")).toBe("no");

      const first = await stream.next(EVENT_MS);
      expect(first).toEqual({
        id: expect.stringMatching(/^[1-9]\d*$/),
        event: "policy",
        data: {
          agentId: agent.agentId,
          policyVersion: "v1",
          policyId: expect.any(String),
          name: "first",
          rules: [BLOCK_RULE],
          overrides: [],
          rollout: null,
          securityPolicies: expect.any(Array),
          scope: { orgId: org.orgId, agentId: null, selector: null, highestVersion: 1 },
          signature: { keyId: expect.stringMatching(/^[0-9a-f]{16}$/), value: expect.any(String) },
        },
      });
      expect((first!.data.securityPolicies as { id: string }[]).map((policy) => policy.id)).toEqual(["pol-network-zero-trust", "pol-session-recording"]);

      let lastId = Number(first!.id);
      for (const [rules, name, version] of [[[ALERT_RULE], "second", "v2"], [[BLOCK_RULE, ALERT_RULE], "third", "v3"]] as const) {
        expect((await publish(org, [...rules], name)).broadcastedTo).toBe(1);
        const event = await stream.next(EVENT_MS);
        expect(event).toEqual({ id: expect.any(String), event: "policy_version", data: { policyVersion: version, policyId: expect.any(String), name, rules, rollout: null, scope: expect.objectContaining({ highestVersion: Number(version.slice(1)) }), signature: expect.any(Object) } });
        expect(Number(event!.id)).toBeGreaterThan(lastId);
        lastId = Number(event!.id);
      }
      await stream.close();
    });

    // Under Next these headers come from next.config.ts `headers()`, which Next applies around the route handler:
    // a handler called in process never carries them, so only the lean path, which adds them itself, can be checked
    // here (tests/e2e/security-headers.spec.ts checks them under Next).
    it.runIf(lean)("carries the API security headers next.config.ts gives API responses, on streams and errors alike", async () => {
      const agent = await enrollAgent(org);
      const stream = await openStream(adapter, agent.token);
      // A client cannot ask for HSTS: with TRUSTED_PROXIES=0 the entry drops X-Forwarded-Proto (docs/deployment.md).
      const refused = await adapter.fetch("/api/agents/stream", { headers: { "x-forwarded-proto": "https" } });
      expect(refused.status).toBe(401);
      for (const response of [stream.response, refused]) {
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        expect(response.headers.get("x-frame-options")).toBe("DENY");
        expect(response.headers.get("referrer-policy")).toBe("same-origin");
        expect(response.headers.get("permissions-policy")).toBe("camera=(), microphone=(), geolocation=()");
        expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
        expect(response.headers.get("strict-transport-security")).toBeNull();
      }
      await stream.close();
    });

    it("ends an agent's older stream when it opens a second one; the second stays live", async () => {
      const agent = await enrollAgent(org);
      const first = await openStream(adapter, agent.token);
      expect((await first.next(EVENT_MS))?.event).toBe("policy");
      const second = await openStream(adapter, agent.token);
      expect((await second.next(EVENT_MS))?.event).toBe("policy");
      expect(await first.next(EVENT_MS)).toBeNull();
      expect(hub().localAgentStreams(org.orgId)).toBe(1);
      await publish(org, [BLOCK_RULE]);
      expect(await second.next(EVENT_MS)).toMatchObject({ event: "policy_version", data: { policyVersion: "v1" } });
      await second.close();
    });

    it("frees the hub entry when the client leaves", async () => {
      const agents = await Promise.all([enrollAgent(org, "web-1"), enrollAgent(org, "web-2")]);
      const streams = await Promise.all(agents.map((agent) => openStream(adapter, agent.token)));
      for (const stream of streams) expect((await stream.next(EVENT_MS))?.event).toBe("policy");
      expect(hub().localAgentStreams(org.orgId)).toBe(2);
      await streams[0]!.close();
      await expect.poll(() => hub().localAgentStreams(org.orgId), POLL).toBe(1);
      await streams[1]!.close();
      await expect.poll(() => hub().localAgentStreams(org.orgId), POLL).toBe(0);
    });

    it("cuts off a client that stops reading once its backlog passes SSE_MAX_BUFFER_BYTES, and only that one", async () => {
      const [stalledAgent, readingAgent] = await Promise.all([enrollAgent(org, "stalled"), enrollAgent(org, "reading")]);
      const reading = await openStream(adapter, readingAgent.token);
      expect((await reading.next(EVENT_MS))?.event).toBe("policy");
      const stalled = await adapter.stall("/api/agents/stream", bearer(stalledAgent.token));
      try {
        await expect.poll(() => hub().localAgentStreams(org.orgId), POLL).toBe(2);
        // Whatever the bound, enough versions to pass it even after the kernel's socket buffers (a few MB) fill.
        const enough = Math.ceil((env().SSE_MAX_BUFFER_BYTES + 16 * 1024 * 1024) / 900_000);
        for (let published = 0; hub().localAgentStreams(org.orgId) === 2; published++) {
          expect(published, "versions published without the stalled client being cut off").toBeLessThan(enough);
          const { version } = await publish(org, BULKY_RULES, `bulky-${published}`);
          // The hub writes an event to every stream of the organization at once: once the reading client has it,
          // so has the stalled one's backlog. One version at a time, the backlog grows frame by frame.
          expect(await reading.next(EVENT_MS)).toMatchObject({ event: "policy_version", data: { policyVersion: version } });
        }
        expect(hub().localAgentStreams(org.orgId)).toBe(1);
        // The server ended the response: a client that reads again gets what had reached it, then the end.
        await stalled.readToEnd(EVENT_MS * 3);
        // The reading client was not cut off, and is still live.
        const { version } = await publish(org, [BLOCK_RULE], "small");
        expect(await reading.next(EVENT_MS)).toMatchObject({ event: "policy_version", data: { policyVersion: version, rules: [BLOCK_RULE] } });
      } finally {
        stalled.close();
        await reading.close();
      }
    });

    // A resume replays every missed event at once: what one burst adds must not count as a backlog.
    it("keeps the stream of a reading client that resumes after missing more than SSE_MAX_BUFFER_BYTES", async () => {
      const agent = await enrollAgent(org);
      const first = await openStream(adapter, agent.token);
      const from = Number((await first.next(EVENT_MS))!.id);
      await first.close();
      const missed = Math.ceil((env().SSE_MAX_BUFFER_BYTES * 2) / 900_000) + 1;
      for (let i = 0; i < missed; i++) await publish(org, BULKY_RULES, `bulky-${i}`);
      const resumed = await openStream(adapter, agent.token, String(from));
      try {
        for (let i = 1; i <= missed; i++) expect(await resumed.next(EVENT_MS)).toMatchObject({ event: "policy_version", id: String(from + i) });
        await publish(org, [BLOCK_RULE], "small");
        expect(await resumed.next(EVENT_MS)).toMatchObject({ event: "policy_version", id: String(from + missed + 1) });
      } finally {
        await resumed.close();
      }
    });

    it("closes a revoked agent's stream at once with `revoked`, then refuses its token with the documented 401", async () => {
      const agent = await enrollAgent(org);
      // A recent heartbeat: the token is in this instance's cache when the revocation lands.
      expect((await heartbeat(adapter, agent.token, { policyVersion: null })).status).toBe(200);
      const stream = await openStream(adapter, agent.token);
      expect((await stream.next(EVENT_MS))?.event).toBe("policy");
      const revoked = await call(agentRoute.DELETE, "DELETE", `/api/agents/${agent.agentId}`, { token: org.admin.token, params: { id: agent.agentId } });
      expect(revoked.status).toBe(200);
      expect(await stream.next(EVENT_MS)).toMatchObject({ event: "revoked" });
      expect(await stream.next(EVENT_MS)).toBeNull();
      expect(hub().localAgentStreams(org.orgId)).toBe(0);

      for (const response of [await adapter.fetch("/api/agents/stream", { headers: bearer(agent.token) }), await heartbeat(adapter, agent.token, { policyVersion: null })]) {
        expect(response.status).toBe(401);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        expect(response.headers.get("www-authenticate")).toBe("Bearer");
        expect(await response.json()).toEqual(UNAUTHENTICATED);
      }
    });
  });

  describe("resuming with Last-Event-ID", () => {
    it("replays exactly the missed events, in order, then goes live with nothing lost or repeated", async () => {
      await publish(org, [BLOCK_RULE], "v1");
      const agent = await enrollAgent(org);
      const first = await openStream(adapter, agent.token);
      const snapshot = (await first.next(EVENT_MS))!;
      await first.close();

      await publish(org, [ALERT_RULE], "v2");
      await toggle("pol-session-recording");
      await setOverrides(agent.agentId, [{ type: "alert_threshold", enabled: false }]);
      // Another agent's override is not this agent's business: not replayed.
      const bystander = await enrollAgent(org, "someone-else");
      await setOverrides(bystander.agentId, []);

      const resumed = await openStream(adapter, agent.token, snapshot.id);
      const from = Number(snapshot.id);
      const replayed = [await resumed.next(EVENT_MS), await resumed.next(EVENT_MS), await resumed.next(EVENT_MS)];
      expect(replayed.map((event) => [event?.event, Number(event?.id)])).toEqual([
        ["policy_version", from + 1],
        ["security_policy", from + 2],
        ["overrides", from + 3],
      ]);
      expect(replayed[0]?.data).toMatchObject({ policyVersion: "v2", name: "v2" });
      expect(replayed[1]?.data).toMatchObject({ change: "toggled", policy: { id: "pol-session-recording", enabled: false } });
      expect(await resumed.quietFor(300)).toBe(true);

      await publish(org, [BLOCK_RULE], "v3");
      // The bystander's override took one id; the next event is the one after it.
      expect(await resumed.next(EVENT_MS)).toMatchObject({ event: "policy_version", id: String(from + 5), data: { policyVersion: "v3" } });
      await resumed.close();
    });

    it("sends nothing when the id is the latest, until the next publish, which arrives", async () => {
      await publish(org, [BLOCK_RULE]);
      const agent = await enrollAgent(org);
      const first = await openStream(adapter, agent.token);
      const latest = (await first.next(EVENT_MS))!.id!;
      await first.close();

      const resumed = await openStream(adapter, agent.token, latest);
      expect(await resumed.quietFor(300)).toBe(true);
      await publish(org, [ALERT_RULE]);
      expect(await resumed.next(EVENT_MS)).toMatchObject({ event: "policy_version", id: String(Number(latest) + 1), data: { policyVersion: "v2" } });
      await resumed.close();
    });

    it("sends a full `reset` snapshot when the id has aged out of the log, or is not one it issued", async () => {
      await publish(org, [BLOCK_RULE]);
      const agent = await enrollAgent(org);
      const first = await openStream(adapter, agent.token);
      const snapshot = (await first.next(EVENT_MS))!;
      await first.close();
      for (let i = 0; i < 3; i++) await publish(org, [ALERT_RULE], `later-${i}`);
      await pruneAgentEvents({ keep: 1 });

      for (const lastEventId of [snapshot.id!, "999999", "yesterday"]) {
        const resumed = await openStream(adapter, agent.token, lastEventId);
        expect(await resumed.next(EVENT_MS)).toEqual({
          id: String(Number(snapshot.id) + 3),
          event: "reset",
          data: { ...snapshot.data, policyVersion: "v4", policyId: expect.any(String), name: "later-2", rules: [ALERT_RULE], scope: { orgId: org.orgId, agentId: null, selector: null, highestVersion: 4 }, signature: expect.any(Object) },
        });
        await resumed.close();
      }
    });
  });

  describe("POST /api/agents/heartbeat", () => {
    it("answers 200 with the agent, the latest version and whether it is outdated", async () => {
      await publish(org, [BLOCK_RULE]);
      await publish(org, [ALERT_RULE]);
      const agent = await enrollAgent(org);
      const before = Date.now();
      const response = await heartbeat(adapter, agent.token, { policyVersion: "v1", agentVersion: "1.2.3", hostname: "host-1" });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = (await response.json()) as { data: { serverTime: string } };
      expect(body).toEqual({ ok: true, data: { agentId: agent.agentId, latestVersion: "v2", outdated: true, serverTime: expect.any(String) } });
      expect(new Date(body.data.serverTime).toISOString()).toBe(body.data.serverTime);
      expect(new Date(body.data.serverTime).getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(await (await heartbeat(adapter, agent.token, { policyVersion: "v2" })).json()).toMatchObject({ ok: true, data: { outdated: false } });
    });
    it("answers 413 to a heartbeat over 1 MiB sent in chunks, without Content-Length", async () => {
      const agent = await enrollAgent(org);
      const bytes = new TextEncoder().encode(OVERSIZED);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.byteLength; at += 64 * 1024) controller.enqueue(bytes.subarray(at, at + 64 * 1024));
          controller.close();
        },
      });
      const init = { method: "POST", headers: { ...bearer(agent.token), "content-type": "application/json" }, body, duplex: "half" };
      const response = await adapter.fetch("/api/agents/heartbeat", init as RequestInit);
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual(envelope("payload_too_large", "Request body exceeds the 1048576-byte limit"));
    });
  });

  describe("answers each failure with the Agent Policy API's envelope", () => {
    let agent: TestAgent;
    beforeEach(async () => {
      agent = await enrollAgent(org);
    });

    it.each(ERROR_CASES)("$name: $status", async ({ request, status, body, headers = {} }) => {
      const response = await request(adapter, agent);
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(response.headers.get("cache-control")).toBe("no-store");
      for (const [name, value] of Object.entries(headers)) expect(response.headers.get(name)).toBe(value);
      const json = (await response.json()) as { error: { requestId: string } };
      expect(json).toEqual(body);
      expect(json.error.requestId).toBe(response.headers.get("x-request-id"));
    });
  });

  describe("GET /api/events", () => {
    it("streams the fleet figures to an admin's API token", async () => {
      const response = await adapter.fetch("/api/events", { headers: bearer(org.admin.token) });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
      expect(response.headers.get("x-accel-buffering")).toBe("no");
      const feed = new SseReader(response);
      expect((await feed.next(EVENT_MS))?.event).toBe("convergence");
      await feed.close();
    });
  });

  // Stopping the hub is for good; the process's hub is replaced afterwards so the tests that follow get a live one.
  describe("shutting down, as on SIGTERM", () => {
    it("ends every open stream, and answers a new one 503 with Retry-After and the envelope", async () => {
      const agent = await enrollAgent(org);
      const stream = await openStream(adapter, agent.token);
      expect((await stream.next(EVENT_MS))?.event).toBe("policy");
      const feed = new SseReader(await adapter.fetch("/api/events", { headers: bearer(org.viewer.token) }));
      expect((await feed.next(EVENT_MS))?.event).toBe("convergence");
      const stopping = hub();
      try {
        await stopping.stop();
        expect(await stream.next(EVENT_MS)).toBeNull();
        expect(await feed.next(EVENT_MS)).toBeNull();
        // Its presence is gone and stays gone (with PostgreSQL; PGlite has none): closing the streams does not
        // bring the instance back to its peers. Presence is saved every second.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(await getDb().select().from(streamPresence).where(eq(streamPresence.instanceId, stopping.instanceId))).toEqual([]);
        for (const response of [
          await adapter.fetch("/api/agents/stream", { headers: bearer(agent.token) }),
          await adapter.fetch("/api/events", { headers: bearer(org.viewer.token) }),
        ]) {
          expect(response.status).toBe(503);
          expect(response.headers.get("retry-after")).toBe("1");
          expect(await response.json()).toEqual(SHUTTING_DOWN);
        }
      } finally {
        // The next hub() is a new, live hub.
        dropProcessSingleton<Hub>("event hub");
      }
    });
  });
});

describe("both adapters", () => {
  it.each(ERROR_CASES)("give the same status and the same bytes for $name", async ({ request }) => {
    const agent = await enrollAgent(org);
    const [viaRoute, viaLean] = (await Promise.all(adapters.map((adapter) => request(adapter, agent)))) as [Response, Response];
    expect(viaLean.status).toBe(viaRoute.status);
    // Byte for byte, but for each response's own request id.
    const withoutRequestId = async (response: Response) => (await response.text()).replace(response.headers.get("x-request-id")!, "<request id>");
    expect(await withoutRequestId(viaLean)).toBe(await withoutRequestId(viaRoute));
  });
});
