import { afterEach, describe, expect, it, vi } from "vitest";
import * as streamRoute from "@/app/api/agents/stream/route";
import type * as AgentQueries from "@/db/queries/agents";
import type * as StreamQueries from "@/db/queries/agent-streams";
import { revokeAgent, setAgentOverrides } from "@/lib/agents/service";
import { actorFor } from "@/lib/auth/principal";
import { env } from "@/lib/env";
import { hub } from "@/lib/events/hub";
import { BLOCK_RULE, createEnrollmentKey, enroll, enrollAgent, openStream, publish } from "../agent-helpers";
import { call, createTestOrg } from "../helpers";
import { SseReader } from "../sse-client";

// Counts the queries a stream start costs, and lets a test hold a token lookup between its read and its return.
const counts = vi.hoisted(() => ({ tokenLookups: 0, tokensLookedUp: 0, streamStarts: 0, hold: null as Promise<void> | null }));
vi.mock("@/db/queries/agents", async (importOriginal) => {
  const queries = await importOriginal<typeof AgentQueries>();
  return {
    ...queries,
    findAgentsByTokenHashes: async (input: { tokenHashes: readonly string[] }) => {
      counts.tokenLookups++;
      counts.tokensLookedUp += input.tokenHashes.length;
      const found = await queries.findAgentsByTokenHashes(input);
      if (counts.hold) await counts.hold;
      return found;
    },
  };
});
vi.mock("@/db/queries/agent-streams", async (importOriginal) => {
  const queries = await importOriginal<typeof StreamQueries>();
  return {
    ...queries,
    loadStreamStart: (input: Parameters<typeof queries.loadStreamStart>[0]) => {
      counts.streamStarts++;
      return queries.loadStreamStart(input);
    },
  };
});

function resetCounts(): void {
  Object.assign(counts, { tokenLookups: 0, tokensLookedUp: 0, streamStarts: 0 });
}

const openRaw = (token: string, lastEventId?: string) =>
  call(streamRoute.GET, "GET", "/api/agents/stream", { token, headers: lastEventId === undefined ? {} : { "last-event-id": lastEventId } });

afterEach(() => {
  counts.hold = null;
});

describe("a reconnect storm", () => {
  it("looks up the tokens of agents connecting together in one query", async () => {
    const org = await createTestOrg();
    const key = await createEnrollmentKey(org, { uses: 60 });
    const agents = await Promise.all(Array.from({ length: 60 }, (_, i) => enroll(key, `storm-${i}`)));
    resetCounts();
    const streams = await Promise.all(agents.map((agent) => openStream(agent.token)));
    expect(counts.tokensLookedUp).toBe(60);
    expect(counts.tokenLookups).toBeLessThanOrEqual(3);
    expect(hub().localAgentStreams(org.orgId)).toBe(60);
    await Promise.all(streams.map((stream) => stream.close()));
  });

  it("starts an agent resuming from the current event from memory, with no query, and delivers what follows", async () => {
    const org = await createTestOrg();
    const [agent, observer] = await Promise.all([enrollAgent(org, "resuming"), enrollAgent(org, "observer")]);
    // Another agent's stream keeps the organization's channel open, as a fleet does.
    const watching = await openStream(observer.token);
    const first = await openStream(agent.token);
    const snapshot = await first.next();
    await first.close();

    resetCounts();
    const resumed = await openStream(agent.token, snapshot!.id);
    expect(counts).toMatchObject({ tokenLookups: 0, streamStarts: 0 });
    expect(await resumed.quietFor(200)).toBe(true);
    const { version } = await publish(org);
    expect(await resumed.next()).toMatchObject({ event: "policy_version", data: { policyVersion: version } });
    await Promise.all([resumed.close(), watching.close()]);
  });

  it("reads the database when the agent is behind, and the agent's record again when its overrides changed", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    await publish(org);
    const watching = await openStream((await enrollAgent(org, "observer")).token);
    const first = await openStream(agent.token);
    const snapshot = await first.next();
    await first.close();

    // Behind: a version published since is replayed.
    const { version } = await publish(org, [BLOCK_RULE], "Newer");
    await expect.poll(() => hub().deliveredPosition(org.orgId)?.upTo).toBeGreaterThan(Number(snapshot!.id));
    resetCounts();
    const behind = await openStream(agent.token, snapshot!.id);
    expect(await behind.next()).toMatchObject({ event: "policy_version", data: { policyVersion: version } });
    expect(counts.streamStarts).toBe(1);
    const latestId = hub().deliveredPosition(org.orgId)!.upTo;
    await behind.close();

    // New overrides drop the cached record: the token is looked up again, and the start has the new overrides.
    await setAgentOverrides({ actor: actorFor(org.admin.user), id: agent.agentId, overrides: [{ type: "block_ip", enabled: false }] });
    await expect.poll(() => hub().deliveredPosition(org.orgId)?.upTo).toBeGreaterThan(latestId);
    resetCounts();
    const resumed = await openStream(agent.token, String(hub().deliveredPosition(org.orgId)!.upTo));
    expect(counts).toMatchObject({ tokenLookups: 1, streamStarts: 0 });
    const { version: third } = await publish(org, [BLOCK_RULE], "Third");
    const delivered = await resumed.next();
    expect(delivered).toMatchObject({ event: "policy_version", data: { policyVersion: third } });
    expect((delivered!.data.rules as { enabled: boolean }[])[0]!.enabled).toBe(false);
    await Promise.all([resumed.close(), watching.close()]);
  });

  it("refuses a revoked agent that resumes from the current event, even before the revocation's notification arrives", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const stream = await openStream(agent.token);
    await stream.next();
    await revokeAgent({ actor: actorFor(org.admin.user), id: agent.agentId });
    expect(await stream.next()).toMatchObject({ event: "revoked" });
    const response = await openRaw(agent.token, String(hub().deliveredPosition(org.orgId)?.upTo ?? 0));
    expect(response.status).toBe(401);
  });

  it("refuses a token lookup that raced the revocation, even with a Last-Event-ID guessed past it", async () => {
    const org = await createTestOrg();
    const [agent, observer] = await Promise.all([enrollAgent(org, "revoked"), enrollAgent(org, "observer")]);
    const watching = await openStream(observer.token);
    const before = hub().deliveredPosition(org.orgId)!.upTo;
    let release = () => {};
    counts.hold = new Promise((resolve) => (release = resolve));
    resetCounts();
    // The lookup reads the agent as live, then waits while the revocation commits and is delivered.
    const racing = openRaw(agent.token, String(before + 1));
    await expect.poll(() => counts.tokenLookups).toBe(1);
    await revokeAgent({ actor: actorFor(org.admin.user), id: agent.agentId });
    await expect.poll(() => hub().deliveredPosition(org.orgId)?.upTo).toBe(before + 1);
    counts.hold = null;
    release();
    expect((await racing).status).toBe(401);
    expect(hub().localAgentStreams(org.orgId)).toBe(1);
    await watching.close();
  });

  it("answers 503 with a jittered Retry-After when too many starts are in progress, and serves them again after", async () => {
    const org = await createTestOrg();
    const [holder, refused] = await Promise.all([enrollAgent(org, "a"), enrollAgent(org, "b")]);
    const saved = env().STREAM_STARTS_MAX;
    env().STREAM_STARTS_MAX = 1;
    let release = () => {};
    counts.hold = new Promise((resolve) => (release = resolve));
    try {
      const held = openStream(holder.token);
      await expect.poll(() => counts.tokenLookups).toBeGreaterThan(0);
      const response = await openRaw(refused.token);
      expect(response.status).toBe(503);
      const retryAfter = Number(response.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(5);
      expect(retryAfter).toBeLessThanOrEqual(15);
      expect(await response.json()).toEqual({
        ok: false,
        error: { code: "unavailable", message: "Too many agents are connecting at once. Reconnect after the delay in Retry-After.", details: [], requestId: response.headers.get("x-request-id") },
      });
      counts.hold = null;
      release();
      await (await held).close();
      const again = await openRaw(refused.token);
      expect(again.status).toBe(200);
      await new SseReader(again).close();
    } finally {
      release();
      env().STREAM_STARTS_MAX = saved;
    }
  });
});
