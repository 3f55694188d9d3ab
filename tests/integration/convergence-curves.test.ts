import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { convergenceCurves } from "@/db/queries/convergence";
import { getDb } from "@/db";
import * as policyRoute from "@/app/api/policy/route";
import { BLOCK_RULE, enrollAgent, publish } from "../agent-helpers";
import { call, createTestOrg, type TestOrg } from "../helpers";

const publishTo = async (org: TestOrg, selector: string, name: string) => {
  const response = await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: { name, rules: [BLOCK_RULE], selector } });
  expect(response.status).toBe(201);
};

describe("convergence curves", () => {
  it("count the agents that had applied each version by time since it was published, cumulatively", async () => {
    const org = await createTestOrg();
    const agents = await Promise.all([enrollAgent(org), enrollAgent(org), enrollAgent(org)]);
    await publish(org, undefined, "First");
    await publish(org, undefined, "Second");
    // Reports 10 s, 10 s and 120 s after v1 was published; one report of v2 at 30 s.
    for (const [agent, delay] of [
      [agents[0]!, 10],
      [agents[1]!, 10],
      [agents[2]!, 120],
    ] as const) {
      await getDb().execute(sql`insert into agent_version_reports (org_id, agent_id, version, first_reported_at)
        select org_id, ${agent.agentId}, 1, created_at + make_interval(secs => ${delay}) from agent_policy_versions where org_id = ${org.orgId} and version = 1`);
    }
    await getDb().execute(sql`insert into agent_version_reports (org_id, agent_id, version, first_reported_at)
      select org_id, ${agents[0]!.agentId}, 2, created_at + interval '30 seconds' from agent_policy_versions where org_id = ${org.orgId} and version = 2`);

    const [second, first] = await convergenceCurves({ orgId: org.orgId });
    expect(second).toMatchObject({ version: 2, name: "Second", points: [{ seconds: 0, upToDate: 0 }, { seconds: 30, upToDate: 1 }] });
    // 120 s over 60 steps: 2-second steps.
    expect(first).toMatchObject({ version: 1, name: "First", points: [{ seconds: 0, upToDate: 0 }, { seconds: 10, upToDate: 2 }, { seconds: 120, upToDate: 3 }] });
  });

  it("is empty before anything is published, and a version nobody applied has no points", async () => {
    const org = await createTestOrg();
    expect(await convergenceCurves({ orgId: org.orgId })).toEqual([]);
    await publish(org);
    expect(await convergenceCurves({ orgId: org.orgId })).toMatchObject([{ version: 1, points: [] }]);
  });

  it("split a staged version into its canary stage and, from its promotion, the fleet's, which starts where the canary ended", async () => {
    const org = await createTestOrg();
    const canaries = await Promise.all([enrollAgent(org, "c1", { ring: "canary" }), enrollAgent(org, "c2", { ring: "canary" })]);
    const rest = await enrollAgent(org, "r1");
    await publish(org, undefined, "Base");
    await publishTo(org, "ring=canary", "Staged");
    // Promoted 60 s after publication; the canaries applied it at 5 s and 20 s, the rest 15 s after promotion.
    await getDb().execute(sql`update agent_policy_versions set promoted_at = created_at + interval '60 seconds', stage = 'fleet' where org_id = ${org.orgId} and version = 2`);
    for (const [agent, delay] of [
      [canaries[0]!, 5],
      [canaries[1]!, 20],
      [rest, 75],
    ] as const) {
      await getDb().execute(sql`insert into agent_version_reports (org_id, agent_id, version, first_reported_at)
        select org_id, ${agent.agentId}, 2, created_at + make_interval(secs => ${delay}) from agent_policy_versions where org_id = ${org.orgId} and version = 2`);
    }
    const [promoted, canary] = await convergenceCurves({ orgId: org.orgId });
    expect(canary).toMatchObject({ version: 2, stage: "canary", selector: "ring=canary", points: [{ seconds: 0, upToDate: 0 }, { seconds: 5, upToDate: 1 }, { seconds: 20, upToDate: 2 }] });
    expect(promoted).toMatchObject({ version: 2, stage: "fleet", selector: "ring=canary", points: [{ seconds: 0, upToDate: 2 }, { seconds: 15, upToDate: 3 }] });
  });
});
