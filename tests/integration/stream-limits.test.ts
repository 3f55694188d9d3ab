import { describe, expect, it, vi } from "vitest";
import * as streamRoute from "@/app/api/agents/stream/route";
import * as eventsRoute from "@/app/api/events/route";
import type * as AgentQueries from "@/db/queries/agents";
import { revokeAgent } from "@/lib/agents/service";
import { agentForTokenHash } from "@/lib/auth/agent-tokens";
import { actorFor } from "@/lib/auth/principal";
import { hashSecret } from "@/lib/auth/secrets";
import { MAX_STREAMS_PER_VIEWER } from "@/lib/events/convergence-feed";
import { hub } from "@/lib/events/hub";
import { openAgentStream } from "@/lib/events/open-agent-stream";
import { WebStreamSink } from "@/lib/events/stream-sink";
import { BLOCK_RULE, enrollAgent, openStream, publish } from "../agent-helpers";
import { call, createTestOrg } from "../helpers";
import { SseReader } from "../sse-client";

// Lets a test hold a token lookup between its database read and its return, to race it with a revocation.
const lookupGate = vi.hoisted(() => ({ read: false, hold: null as Promise<void> | null }));
vi.mock("@/db/queries/agents", async (importOriginal) => {
  const queries = await importOriginal<typeof AgentQueries>();
  return {
    ...queries,
    findAgentsByTokenHashes: async (input: { tokenHashes: readonly string[] }) => {
      const found = await queries.findAgentsByTokenHashes(input);
      lookupGate.read = true;
      if (lookupGate.hold) await lookupGate.hold;
      return found;
    },
  };
});

const openEvents = (token: string, signal?: AbortSignal) => call(eventsRoute.GET, "GET", "/api/events", { token, signal });

describe("stream limits", () => {
  it("an agent holds one stream: a new one ends the older, and broadcastedTo counts agents", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const streams: SseReader[] = [];
    for (let i = 0; i < 20; i++) {
      const stream = await openStream(agent.token);
      expect((await stream.next())?.event).toBe("policy");
      streams.push(stream);
    }
    expect(hub().localAgentStreams(org.orgId)).toBe(1);
    for (const older of streams.slice(0, -1)) expect(await older.next()).toBeNull();
    const other = await enrollAgent(org, "other");
    const second = await openStream(other.token);
    await second.next();
    expect((await publish(org, [BLOCK_RULE])).broadcastedTo).toBe(2);
    expect((await streams.at(-1)!.next())?.event).toBe("policy_version");
    await Promise.all([streams.at(-1)!.close(), second.close()]);
  });

  it(`gives each user or API token ${MAX_STREAMS_PER_VIEWER} console event streams, and answers 429 beyond`, async () => {
    const org = await createTestOrg();
    const open = await Promise.all(Array.from({ length: MAX_STREAMS_PER_VIEWER }, () => openEvents(org.viewer.token)));
    expect(open.map((response) => response.status)).toEqual(Array(MAX_STREAMS_PER_VIEWER).fill(200));
    const refused = await openEvents(org.viewer.token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect(await refused.json()).toMatchObject({ ok: false, error: { code: "rate_limited" } });
    // Another credential has its own allowance; a closed stream frees its place.
    const admin = await openEvents(org.admin.token);
    expect(admin.status).toBe(200);
    await new SseReader(open[0]!).close();
    await expect.poll(async () => {
      const again = await openEvents(org.viewer.token);
      if (again.status === 200) await new SseReader(again).close();
      return again.status;
    }).toBe(200);
    await Promise.all([...open.slice(1), admin].map((response) => new SseReader(response).close()));
  });

  it("leaks nothing when clients leave at any point of a stream's start", async () => {
    const org = await createTestOrg();
    const agents = await Promise.all(Array.from({ length: 30 }, (_, i) => enrollAgent(org, `leaver-${i}`)));
    // vitest.config.ts runs the tests with --expose-gc (all but mutation testing's worker threads).
    const collect = globalThis.gc;
    collect?.();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        agents.flatMap((agent, i) => {
          const controller = new AbortController();
          // Before the call, during its first await, or a little later.
          const when = (i + round) % 3;
          if (when === 0) controller.abort();
          const agentStream = call(streamRoute.GET, "GET", "/api/agents/stream", { token: agent.token, signal: controller.signal });
          const events = openEvents(org.viewer.token, controller.signal);
          if (when === 1) controller.abort();
          else if (when === 2) setTimeout(() => controller.abort(), Math.random() * 5);
          // Nobody reads the responses: only the aborted requests tell the server the clients left.
          return [agentStream, events];
        }),
      );
    }
    await expect.poll(() => hub().localAgentStreams(org.orgId)).toBe(0);
    // Every event stream's place was given back: the viewer can open its full allowance again.
    const reopened = await Promise.all(Array.from({ length: MAX_STREAMS_PER_VIEWER }, () => openEvents(org.viewer.token)));
    expect(reopened.map((response) => response.status)).toEqual(Array(MAX_STREAMS_PER_VIEWER).fill(200));
    await Promise.all(reopened.map((response) => new SseReader(response).close()));
    if (collect) {
      collect();
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20 * 1024 * 1024);
    }
  });

  it("a token lookup that raced a revocation neither caches the agent nor opens its stream", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const tokenHash = hashSecret(agent.token);
    let release = () => {};
    lookupGate.read = false;
    lookupGate.hold = new Promise((resolve) => (release = resolve));
    const lookup = agentForTokenHash(tokenHash);
    await expect.poll(() => lookupGate.read).toBe(true);
    // The lookup has read the agent as live; the revocation commits and clears the cache before it returns.
    await revokeAgent({ actor: actorFor(org.admin.user), id: agent.agentId });
    lookupGate.hold = null;
    release();
    const stale = await lookup;
    expect(stale?.id).toBe(agent.agentId);
    expect(await agentForTokenHash(tokenHash)).toBeNull();
    // And a stream started with that stale agent is refused by the snapshot it starts from.
    const opened = openAgentStream(stale!, { lastEventId: null, signal: new AbortController().signal, isCurrent: () => false }, (onClose) => new WebStreamSink(1 << 20, onClose));
    await expect(opened).rejects.toMatchObject({ status: 401 });
    expect(hub().localAgentStreams(org.orgId)).toBe(0);
  });
});
