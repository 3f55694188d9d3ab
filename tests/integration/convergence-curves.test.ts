import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { convergenceCurves } from "@/db/queries/convergence";
import { getDb } from "@/db";
import { enrollAgent, publish } from "../agent-helpers";
import { createTestOrg } from "../helpers";

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
});
