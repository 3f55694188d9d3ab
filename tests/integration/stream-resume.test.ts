/**
 * How a stream starts from a Last-Event-ID the log cannot serve: from the future, garbage, or after the whole log
 * was pruned. Each gets a `reset` with everything the agent enforces, never a replay with a hole.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import * as overridesRoute from "@/app/api/policy/agent/[id]/overrides/route";
import { getDb } from "@/db";
import { getAgent } from "@/db/queries/agents";
import { openAgentStream } from "@/lib/events/open-agent-stream";
import { ALERT_RULE, BLOCK_RULE, enrollAgent, openStream, publish } from "../agent-helpers";
import { call, createTestOrg, type TestOrg } from "../helpers";
import { recordingSink } from "../recording-sink";

let org: TestOrg;
let upTo: number;

/** The first event of a stream opened with this Last-Event-ID (the stream is closed). */
async function firstEvent(token: string, lastEventId?: string) {
  const stream = await openStream(token, lastEventId);
  try {
    return await stream.next();
  } finally {
    await stream.close();
  }
}

/**
 * The frames a stream starts with when it cannot start from memory (as after a restart, when this instance has
 * delivered nothing yet): read from the log. The stream is closed.
 */
async function framesFromLog(orgId: string, agentId: string, lastEventId: string) {
  const agent = (await getAgent({ orgId, id: agentId }))!;
  let sink = recordingSink();
  await openAgentStream(agent, { lastEventId, signal: new AbortController().signal, isCurrent: () => false }, (onClose) => (sink = recordingSink(onClose)));
  sink.close();
  return sink.frames;
}

beforeAll(async () => {
  org = await createTestOrg();
  // Twelve events, so a position has two digits.
  for (let i = 1; i <= 12; i++) await publish(org, [i % 2 ? BLOCK_RULE : ALERT_RULE], `v${i}`);
  const agent = await enrollAgent(org);
  upTo = Number((await firstEvent(agent.token))!.id);
  expect(upTo).toBeGreaterThanOrEqual(12);
});

describe("a Last-Event-ID at the log's end", () => {
  it("replays nothing, and sends no reset, when the stream cannot start from memory", async () => {
    const { agentId } = await enrollAgent(org);
    expect(await framesFromLog(org.orgId, agentId, String(upTo))).toEqual([]);
  });
});

describe("an organization without an agent policy", () => {
  it("sends a first event with no version and no rules", async () => {
    const empty = await createTestOrg();
    const agent = await enrollAgent(empty);
    expect(await firstEvent(agent.token)).toMatchObject({ event: "policy", data: { policyVersion: null, rules: [] } });
  });
});

describe("a Last-Event-ID the log cannot serve", () => {
  it("replays from a valid position with two digits", async () => {
    const agent = await enrollAgent(org);
    expect(await firstEvent(agent.token, String(upTo - 1))).toMatchObject({ event: "policy_version", id: String(upTo) });
  });

  it("resets from a position beyond the log's end, or garbage around digits", async () => {
    const agent = await enrollAgent(org);
    for (const lastEventId of [String(upTo + 1000), `x${upTo - 1}`, `${upTo - 1}x`, "1e3", "-1"]) {
      expect(await firstEvent(agent.token, lastEventId), lastEventId).toMatchObject({ event: "reset", id: String(upTo), data: { policyVersion: "v12" } });
    }
  });

  it("carries the agent's overrides in its first event, and in a reset", async () => {
    const agent = await enrollAgent(org);
    const response = await call(overridesRoute.PUT, "PUT", "/overrides", {
      token: org.admin.token,
      params: { id: agent.agentId },
      body: { rules: [{ type: "alert_threshold", config: { countPerHour: 9 } }] },
    });
    expect(response.status).toBe(200);
    const first = await firstEvent(agent.token);
    expect(first).toMatchObject({ event: "policy", data: { overrides: [{ type: "alert_threshold" }], rules: [{ type: "alert_threshold", config: { countPerHour: 9 } }] } });
    const reset = await firstEvent(agent.token, "999999999");
    expect(reset).toMatchObject({ event: "reset", data: { rules: [{ config: { countPerHour: 9 } }] } });
  });

  it("resets, rather than replaying nothing, when every event after the position has been pruned", async () => {
    const other = await createTestOrg();
    await publish(other, [BLOCK_RULE], "first");
    const agent = await enrollAgent(other);
    const resumeFrom = Number((await firstEvent(agent.token))!.id);
    await publish(other, [ALERT_RULE], "second");
    await getDb().execute(sql`delete from agent_events where org_id = ${other.orgId}`);
    expect(await firstEvent(agent.token, String(resumeFrom))).toMatchObject({ event: "reset", id: String(resumeFrom + 1), data: { name: "second" } });

    // At the log's end it missed nothing, pruned or not: no reset.
    expect(await framesFromLog(other.orgId, agent.agentId, String(resumeFrom + 1))).toEqual([]);
  });
});

describe("a stream started from memory", () => {
  it("knows a version published while the organization's streams were live", async () => {
    const live = await createTestOrg();
    const [watcher, resumer] = [await enrollAgent(live, "watcher"), await enrollAgent(live, "resumer")];
    await publish(live, [BLOCK_RULE], "First");
    const watching = await openStream(watcher.token);
    expect(await watching.next()).toMatchObject({ event: "policy", data: { policyVersion: "v1" } });
    await publish(live, [ALERT_RULE], "Second");
    const published = await watching.next();
    expect(published).toMatchObject({ event: "policy_version", data: { policyVersion: "v2" } });
    // Resuming exactly where this instance has delivered the log: the stream starts from memory.
    const resumed = await openStream(resumer.token, published!.id!);
    const response = await call(overridesRoute.PUT, "PUT", "/overrides", { token: live.admin.token, params: { id: resumer.agentId }, body: { rules: [{ type: "block_ip", config: { threshold: 4 } }] } });
    expect(response.status).toBe(200);
    expect(await resumed.next()).toMatchObject({ event: "overrides", data: { policyVersion: "v2", name: "Second" } });
    await Promise.all([watching.close(), resumed.close()]);
  });

  // Last: its overrides event moves the log's end.
  it("knows the active version, so a later overrides event carries it", async () => {
    const agent = await enrollAgent(org);
    const logEnd = (await firstEvent(agent.token))!.id!;
    const stream = await openStream(agent.token, logEnd);
    const response = await call(overridesRoute.PUT, "PUT", "/overrides", {
      token: org.admin.token,
      params: { id: agent.agentId },
      body: { rules: [{ type: "block_ip", config: { threshold: 4 } }] },
    });
    expect(response.status).toBe(200);
    expect(await stream.next()).toMatchObject({ event: "overrides", data: { policyVersion: "v12", name: "v12" } });
    await stream.close();
  });
});
