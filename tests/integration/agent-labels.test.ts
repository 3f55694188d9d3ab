import { describe, expect, it } from "vitest";
import * as labelsRoute from "@/app/api/agents/[id]/labels/route";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { getAgent } from "@/db/queries/agents";
import { revokeAgent } from "@/lib/agents/service";
import { actorFor } from "@/lib/auth/principal";
import { enrollAgent } from "../agent-helpers";
import { call, createTestOrg } from "../helpers";

const relabel = (token: string, id: string, body: unknown) => call(labelsRoute.PUT, "PUT", `/api/agents/${id}/labels`, { token, params: { id }, body });

describe("relabelling an agent", () => {
  it("replaces its labels, audited with before and after", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const response = await relabel(org.admin.token, agent.agentId, { labels: { ring: "canary", env: "prod" } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { labels: Record<string, string> } }).data.labels).toEqual({ ring: "canary", env: "prod" });
    const [audit] = await listAuditLogs({ orgId: org.orgId, action: "relabel_agent", limit: 1 });
    expect(audit).toMatchObject({ success: true, before: { labels: {} }, after: { labels: { ring: "canary", env: "prod" } } });
  });

  it("refuses a viewer, a bad label, a revoked agent and another organization's agent, changing nothing", async () => {
    const org = await createTestOrg();
    const other = await createTestOrg();
    const agent = await enrollAgent(org);
    expect((await relabel(org.viewer.token, agent.agentId, { labels: { ring: "canary" } })).status).toBe(403);
    expect((await relabel(org.admin.token, agent.agentId, { labels: { "bad key!": "x" } })).status).toBe(422);
    expect((await relabel(org.admin.token, agent.agentId, { ring: "canary" })).status).toBe(422);
    expect((await relabel(other.admin.token, agent.agentId, { labels: { ring: "canary" } })).status).toBe(404);
    await revokeAgent({ actor: actorFor(org.admin.user), id: agent.agentId });
    expect((await relabel(org.admin.token, agent.agentId, { labels: { ring: "canary" } })).status).toBe(404);
    expect((await getAgent({ orgId: org.orgId, id: agent.agentId }))!.labels).toEqual({});
  });
});
