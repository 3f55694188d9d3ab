import { describe, expect, it } from "vitest";
import * as agentRoute from "@/app/api/agents/[id]/route";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as auditLogs from "@/app/api/audit-logs/route";
import { pruneVersionReports } from "@/db/queries/convergence";
import { getAgent } from "@/db/queries/agents";
import { getActivePolicyVersion } from "@/db/queries/agent-policies";
import { getDb } from "@/db";
import { agentVersionReports } from "@/db/schema";
import { heartbeats } from "@/lib/agents/heartbeats";
import { ALERT_RULE, BLOCK_RULE, enrollAgent, publish } from "../agent-helpers";
import { call, createTestOrg } from "../helpers";
import { eq } from "drizzle-orm";

const beat = (token: string, body: Record<string, unknown>) => call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token, body });

describe("heartbeats", () => {
  it("a row the database refuses costs only its own beat, never another organization's", async () => {
    const [orgA, orgB] = await Promise.all([createTestOrg(), createTestOrg()]);
    await publish(orgB, [BLOCK_RULE]);
    const [poisoner, bystander] = await Promise.all([enrollAgent(orgA, "a-host"), enrollAgent(orgB, "b-host")]);
    // The API refuses NUL; a beat that slipped past validation is played directly into the writer.
    heartbeats().record({ agentId: poisoner.agentId, orgId: orgA.orgId, at: new Date(), version: null, agentVersion: "1\u0000", hostname: null, ip: null });
    expect((await beat(bystander.token, { policyVersion: "v1", hostname: "b-host-renamed" })).status).toBe(200);
    await heartbeats().flush();

    const written = (await getAgent({ orgId: orgB.orgId, id: bystander.agentId }))!;
    expect(written).toMatchObject({ reportedVersion: 1, hostname: "b-host-renamed" });
    expect(written.lastSeenAt).not.toBeNull();
    expect((await getAgent({ orgId: orgA.orgId, id: poisoner.agentId }))!.lastSeenAt).toBeNull();
  });

  it("refuses a version the organization has not published, so nothing counts as converged before it exists", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const early = await beat(agent.token, { policyVersion: "v1" });
    expect(early.status).toBe(422);
    expect(await early.json()).toMatchObject({ error: { details: [{ path: "policyVersion", message: "v1 has not been published (no version has been published yet)" }] } });

    await publish(org, [BLOCK_RULE]);
    const future = await beat(agent.token, { policyVersion: "v999999999" });
    expect(future.status).toBe(422);
    expect(await future.json()).toMatchObject({ error: { details: [{ message: "v999999999 has not been published (the latest is v1)" }] } });

    expect(await (await beat(agent.token, { policyVersion: "v1" })).json()).toMatchObject({ data: { outdated: false, latestVersion: "v1" } });
    await heartbeats().flush();
    const version = (await getActivePolicyVersion({ orgId: org.orgId }))!;
    expect(version.convergedAt!.getTime()).toBeGreaterThanOrEqual(version.createdAt.getTime());
  });

  it("audits a hostname change reported in a heartbeat, with before and after", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org, "web-1");
    await beat(agent.token, { policyVersion: null, hostname: "web-1" });
    await heartbeats().flush();
    await beat(agent.token, { policyVersion: null, hostname: "db-7" });
    await heartbeats().flush();
    const rows = (await (await call(auditLogs.GET, "GET", "/api/audit-logs?action=agent_hostname_changed", { token: org.viewer.token })).json()) as Record<string, unknown>[];
    expect(rows).toEqual([
      expect.objectContaining({ resource: `agent:${agent.agentId}`, success: true, details: `Agent ${agent.agentId} reported a new hostname: "web-1" → "db-7"` }),
    ]);
    const read = await call(agentRoute.GET, "GET", "/", { token: org.viewer.token, params: { id: agent.agentId } });
    expect(((await read.json()) as { data: { hostname: string } }).data.hostname).toBe("db-7");
  });

  it("keeps version reports of the newest versions only", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    for (const rules of [[BLOCK_RULE], [ALERT_RULE], [BLOCK_RULE, ALERT_RULE]]) {
      const { version } = await publish(org, rules);
      await beat(agent.token, { policyVersion: version });
      await heartbeats().flush();
    }
    const reported = async () =>
      (await getDb().select({ version: agentVersionReports.version }).from(agentVersionReports).where(eq(agentVersionReports.agentId, agent.agentId))).map((row) => row.version).sort();
    expect(await reported()).toEqual([1, 2, 3]);
    await pruneVersionReports({ keepVersions: 2 });
    expect(await reported()).toEqual([2, 3]);
  });
});
