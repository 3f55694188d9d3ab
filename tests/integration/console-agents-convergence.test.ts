import { beforeEach, describe, expect, it } from "vitest";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import { fleetConvergence } from "@/db/queries/convergence";
import { toConvergenceJson } from "@/lib/agent-policy/serialize";
import { heartbeats } from "@/lib/agents/heartbeats";
import { enrollAgent, publish } from "../agent-helpers";
import { call, createTestOrg, type TestOrg } from "../helpers";

// What the fleet convergence panel renders: fleetConvergence() through toConvergenceJson().
const panel = async (org: TestOrg) => toConvergenceJson(await fleetConvergence({ orgId: org.orgId, offlineAfterSeconds: 90 }));

async function beat(token: string, policyVersion: string | null): Promise<void> {
  const response = await call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token, body: { policyVersion } });
  expect(response.status).toBe(200);
}

let org: TestOrg;
let neighbour: TestOrg;
beforeEach(async () => {
  [org, neighbour] = await Promise.all([createTestOrg(), createTestOrg()]);
});

describe("the convergence panel's figures", () => {
  it("count the organization's online agents against the active version, and time the convergence", async () => {
    await publish(org);
    const [a, b] = [await enrollAgent(org, "a"), await enrollAgent(org, "b")];
    await beat(a.token, "v1");
    await beat(b.token, null);
    await heartbeats().flush();
    expect((await panel(org)).agents).toEqual({ total: 2, online: 2, offline: 0, upToDate: 1, outdated: 1 });
    expect((await panel(org)).versions[0]).toMatchObject({ version: "v1", convergedAt: null, convergenceSeconds: null });

    await beat(b.token, "v1");
    await heartbeats().flush();
    const [v1] = (await panel(org)).versions;
    expect((await panel(org)).agents).toMatchObject({ upToDate: 2, outdated: 0 });
    expect(v1!.convergenceSeconds).toBeGreaterThanOrEqual(0);
    expect(v1!.convergenceSeconds).toBeLessThan(30);
  });

  it("count, per version, only the organization's agents that applied it", async () => {
    await publish(org);
    await publish(neighbour);
    const mine = await enrollAgent(org, "mine");
    const theirs = await enrollAgent(neighbour, "theirs");
    await beat(mine.token, "v1");
    await beat(theirs.token, "v1");
    await heartbeats().flush();
    await publish(org, undefined, "Second");
    const versions = (await panel(org)).versions;
    expect(versions.map(({ version, applied }) => ({ version, applied }))).toEqual([
      { version: "v2", applied: 0 },
      { version: "v1", applied: 1 },
    ]);
  });
});
