/**
 * What agents report of their policy in heartbeats: `status` (`ok` or `stale`) and the last policy they refused.
 * Both are written with the batched heartbeat flush, listed on the agents API (`?status=stale` filters), scoped to
 * the organization, and never audited per beat.
 */
import { describe, expect, it } from "vitest";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as agentsRoute from "@/app/api/agents/route";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { heartbeats } from "@/lib/agents/heartbeats";
import { BLOCK_RULE, enrollAgent, publish } from "../agent-helpers";
import { call, createTestOrg, type TestOrg } from "../helpers";

const countAuditLogs = async ({ orgId }: { orgId: string }) => (await listAuditLogs({ orgId, limit: 1000 })).length;
const beat = (token: string, body: Record<string, unknown>) => call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token, body });

interface Listed {
  hostname: string;
  reportedStatus: string | null;
  reportedRefusal: { version: string | null; reason: string; at: string } | null;
}
async function listed(org: TestOrg, status = "all"): Promise<Listed[]> {
  await heartbeats().flush();
  const response = await call(agentsRoute.GET, "GET", `/api/agents?status=${status}`, { token: org.viewer.token });
  return ((await response.json()) as { data: { agents: Listed[] } }).data.agents;
}

describe("an agent's reported policy status", () => {
  it("is stored and listed: stale agents, their last refusal, and a filter for them", async () => {
    const org = await createTestOrg();
    const other = await createTestOrg();
    await publish(org, [BLOCK_RULE]);
    const [stale, fine, silent] = [await enrollAgent(org, "stale-1"), await enrollAgent(org, "fine-1"), await enrollAgent(org, "old-agent")];
    const bystander = await enrollAgent(other, "bystander");
    const audited = await countAuditLogs({ orgId: org.orgId });

    const refusal = { version: "v9", reason: "bad signature: the policy is not the one that was signed", at: "2026-11-30T08:00:00.000Z" };
    expect((await beat(stale.token, { policyVersion: "v1", status: "stale", refusal })).status).toBe(200);
    expect((await beat(fine.token, { policyVersion: "v1", status: "ok", refusal: null })).status).toBe(200);
    expect((await beat(silent.token, { policyVersion: "v1" })).status).toBe(200);
    expect((await beat(bystander.token, { policyVersion: null, status: "ok" })).status).toBe(200);

    const all = await listed(org);
    expect(all.map(({ hostname, reportedStatus, reportedRefusal }) => ({ hostname, reportedStatus, reportedRefusal }))).toEqual([
      { hostname: "fine-1", reportedStatus: "ok", reportedRefusal: null },
      { hostname: "old-agent", reportedStatus: null, reportedRefusal: null },
      { hostname: "stale-1", reportedStatus: "stale", reportedRefusal: refusal },
    ]);
    expect((await listed(org, "stale")).map((agent) => agent.hostname)).toEqual(["stale-1"]);
    // The other organization's stale filter does not see this one's agents, and its own agent is untouched.
    expect(await listed(other, "stale")).toEqual([]);
    expect((await listed(other))[0]).toMatchObject({ hostname: "bystander", reportedStatus: "ok", reportedRefusal: null });
    // Heartbeats are not audited, whatever they report.
    expect(await countAuditLogs({ orgId: org.orgId })).toBe(audited);

    // Back in touch: the next beat reports ok and no refusal, and the agent leaves the filter.
    expect((await beat(stale.token, { policyVersion: "v1", status: "ok" })).status).toBe(200);
    expect(await listed(org, "stale")).toEqual([]);
  });

  it("stamps a refusal without a time with the beat's, and refuses a malformed report, storing nothing", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org, "agent-1");
    const before = Date.now();
    expect((await beat(agent.token, { policyVersion: null, refusal: { version: null, reason: "unsigned policy" } })).status).toBe(200);
    const [stored] = await listed(org);
    expect(stored!.reportedRefusal).toMatchObject({ version: null, reason: "unsigned policy" });
    expect(Date.parse(stored!.reportedRefusal!.at)).toBeGreaterThanOrEqual(before - 1000);

    for (const body of [
      { policyVersion: null, status: "fine" },
      { policyVersion: null, refusal: { version: null, reason: "x".repeat(501) } },
      { policyVersion: null, refusal: { version: null, reason: "line\nbreak" } },
      { policyVersion: null, refusal: { version: null, reason: "" } },
      { policyVersion: null, refusal: { version: "v1", reason: "r", extra: true } },
      { policyVersion: null, refusal: { version: "v1", reason: "r", at: "yesterday" } },
    ]) {
      const response = await beat(agent.token, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
    }
    expect((await listed(org))[0]!.reportedRefusal).toMatchObject({ reason: "unsigned policy" });
  });
});
