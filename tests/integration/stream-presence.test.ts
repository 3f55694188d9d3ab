/**
 * The stream counts instances share, so a per-organization stream cap holds across instances: each instance's
 * count per organization, refreshed in place, summed over the other instances, and never another organization's.
 */
import { describe, expect, it } from "vitest";
import { clearPresence, remoteStreamCount, savePresence } from "@/db/queries/stream-presence";
import { databaseTarget } from "@/db";
import { hub } from "@/lib/events/hub";
import { randomHex } from "@/lib/ids";
import { enrollAgent, openStream } from "../agent-helpers";
import type { LabelSetCount } from "@/lib/agent-policy/types";

/** An instance's presence: per organization, its stream count, and by label set when given. */
const counts = (entries: [string, number, LabelSetCount[]?][]) => new Map(entries.map(([orgId, connections, labelCounts = []]) => [orgId, { connections, labelCounts }]));
import { createTestOrg } from "../helpers";

describe("stream presence", () => {
  it("sums the other instances' streams of one organization, refreshed in place", async () => {
    const [a, b] = [await createTestOrg(), await createTestOrg()];
    const [one, two, three] = [`i-${randomHex(4)}`, `i-${randomHex(4)}`, `i-${randomHex(4)}`];
    await savePresence({ instanceId: one, counts: counts([[a.orgId, 5], [b.orgId, 40]]) });
    await savePresence({ instanceId: two, counts: counts([[a.orgId, 7]]) });
    expect(await remoteStreamCount({ instanceId: three, orgId: a.orgId })).toBe(12);
    expect(await remoteStreamCount({ instanceId: one, orgId: a.orgId })).toBe(7);
    expect(await remoteStreamCount({ instanceId: three, orgId: b.orgId })).toBe(40);

    await savePresence({ instanceId: one, counts: counts([[a.orgId, 1]]) });
    expect(await remoteStreamCount({ instanceId: three, orgId: a.orgId })).toBe(8);
    await clearPresence({ instanceId: two });
    expect(await remoteStreamCount({ instanceId: three, orgId: a.orgId })).toBe(1);
  });
});

describe("the stream cap's count", () => {
  it("adds the agents connected to the other instances to this instance's own", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const stream = await openStream(agent.token);
    await savePresence({ instanceId: `i-${randomHex(4)}`, counts: counts([[org.orgId, 5]]) });
    // PGlite has no other instances, so it counts only its own.
    const others = databaseTarget().engine === "postgres" ? 5 : 0;
    expect(await hub().connectedAgents(org.orgId)).toBe(1 + others);
    await stream.close();
  });
});

describe("a staged rollout's broadcastedTo", () => {
  it("counts the connected agents its selector matches, here and on the other instances", async () => {
    const org = await createTestOrg();
    const canary = await enrollAgent(org, "canary", { ring: "canary" });
    const stable = await enrollAgent(org, "stable", { ring: "stable" });
    const streams = [await openStream(canary.token), await openStream(stable.token)];
    await savePresence({
      instanceId: `i-${randomHex(4)}`,
      counts: counts([[org.orgId, 5, [{ labels: { ring: "canary" }, agents: 2 }, { labels: {}, agents: 3 }]]]),
    });
    const remote = databaseTarget().engine === "postgres";
    expect(await hub().connectedAgents(org.orgId, "ring=canary")).toBe(1 + (remote ? 2 : 0));
    expect(await hub().connectedAgents(org.orgId, "ring!=canary")).toBe(1 + (remote ? 3 : 0));
    expect(await hub().connectedAgents(org.orgId)).toBe(2 + (remote ? 5 : 0));
    await Promise.all(streams.map((stream) => stream.close()));
  });
});
