import { afterEach, describe, expect, it } from "vitest";
import * as agentRoute from "@/app/api/agents/[id]/route";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as agentsRoute from "@/app/api/agents/route";
import * as auditLogs from "@/app/api/audit-logs/route";
import * as eventsRoute from "@/app/api/events/route";
import * as agentPolicyRoute from "@/app/api/policy/agent/[id]/route";
import { pruneVersionReports } from "@/db/queries/convergence";
import { getAgent } from "@/db/queries/agents";
import { getActivePolicyVersion } from "@/db/queries/agent-policies";
import { getDb } from "@/db";
import { agentVersionReports } from "@/db/schema";
import { heartbeats } from "@/lib/agents/heartbeats";
import { env } from "@/lib/env";
import { SseReader } from "../sse-client";
import { ALERT_RULE, BLOCK_RULE, enrollAgent, publish } from "../agent-helpers";
import { call, createTestOrg } from "../helpers";
import { eq } from "drizzle-orm";

const beat = (token: string, body: Record<string, unknown>) => call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token, body });

const flushMs = env().HEARTBEAT_FLUSH_MS;
afterEach(() => {
  env().HEARTBEAT_FLUSH_MS = flushMs;
});

describe("heartbeats", () => {
  it("are seen by reads on this instance the moment they are answered, not a flush later", async () => {
    // A flush interval far longer than the test: only reads that write pending beats first can pass.
    env().HEARTBEAT_FLUSH_MS = 60_000;
    const org = await createTestOrg();
    const { version } = await publish(org, [BLOCK_RULE]);
    const agent = await enrollAgent(org);
    expect((await beat(agent.token, { policyVersion: version })).status).toBe(200);
    const policy = await call(agentPolicyRoute.GET, "GET", "/", { token: org.viewer.token, params: { id: agent.agentId } });
    expect(await policy.json()).toMatchObject({ data: { policyVersion: version, appliedAt: expect.any(String) } });

    const { version: next } = await publish(org, [ALERT_RULE]);
    expect((await beat(agent.token, { policyVersion: next })).status).toBe(200);
    const listed = await call(agentsRoute.GET, "GET", "/api/agents", { token: org.viewer.token });
    expect(await listed.json()).toMatchObject({ data: { agents: [{ id: agent.agentId, policyVersion: next, outdated: false }] } });
    const single = await call(agentRoute.GET, "GET", "/", { token: org.viewer.token, params: { id: agent.agentId } });
    expect(await single.json()).toMatchObject({ data: { policyVersion: next } });

    const { version: last } = await publish(org, [BLOCK_RULE, ALERT_RULE]);
    expect((await beat(agent.token, { policyVersion: last })).status).toBe(200);
    const feed = new SseReader(await call(eventsRoute.GET, "GET", "/api/events", { token: org.viewer.token }));
    expect(await feed.next()).toMatchObject({ event: "convergence", data: { latestVersion: last, agents: { upToDate: 1, outdated: 0 } } });
    await feed.close();
  });

  it("a row the database refuses costs only its own beat, never another organization's", async () => {
    const [orgA, orgB] = await Promise.all([createTestOrg(), createTestOrg()]);
    await publish(orgB, [BLOCK_RULE]);
    const [poisoner, bystander] = await Promise.all([enrollAgent(orgA, "a-host"), enrollAgent(orgB, "b-host")]);
    // The API refuses NUL; a beat that slipped past validation is played directly into the writer.
    heartbeats().record({ agentId: poisoner.agentId, orgId: orgA.orgId, at: new Date(), version: null, agentVersion: "1\u0000", hostname: null, ip: null, status: null, refusal: null });
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
