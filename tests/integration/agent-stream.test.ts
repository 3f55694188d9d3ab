import { beforeEach, describe, expect, it } from "vitest";
import * as enrollRoute from "@/app/api/agents/enroll/route";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as agentsRoute from "@/app/api/agents/route";
import * as auditLogs from "@/app/api/audit-logs/route";
import * as policyItem from "@/app/api/policies/[id]/route";
import * as agentPolicy from "@/app/api/policy/agent/[id]/route";
import * as overrides from "@/app/api/policy/agent/[id]/overrides/route";
import * as policyRoute from "@/app/api/policy/route";
import { pruneAgentEvents } from "@/db/queries/agent-events";
import { ALERT_RULE, BLOCK_RULE, createEnrollmentKey, enroll, enrollAgent, openStream, publish } from "../agent-helpers";
import { call, createTestOrg, type TestOrg } from "../helpers";

let org: TestOrg;
beforeEach(async () => {
  org = await createTestOrg();
});

const toggle = (id: string) => call(policyItem.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id } });

describe("enrolment", () => {
  it("trades a key for an agent id and token, within the key's uses", async () => {
    const key = await createEnrollmentKey(org, { uses: 2 });
    const first = await enroll(key, "web-1");
    expect(first.agentId).toMatch(/^agent-[0-9a-f]{8}$/);
    expect(first.token).toMatch(/^pagt_[A-Za-z0-9_-]{43}$/);
    await enroll(key, "web-2");
    const third = await call(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey: key, hostname: "web-3" } });
    expect(third.status).toBe(401);
    expect(await third.json()).toMatchObject({ ok: false, error: { code: "unauthenticated" } });
    const audit = (await (await call(auditLogs.GET, "GET", "/api/audit-logs?action=enroll_agent", { token: org.admin.token })).json()) as { resource: string }[];
    expect(audit).toHaveLength(2);
    expect(audit.map((entry) => entry.resource)).toContain(`agent:${first.agentId}`);
  });

  it("refuses expired and unknown keys, and validates the body", async () => {
    const expired = await createEnrollmentKey(org, { expiresHours: 0.000001 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const enrollmentKey of [expired, "penr_nope"]) {
      const response = await call(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey, hostname: "h" } });
      expect(response.status).toBe(401);
    }
    const invalid = await call(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey: "k", hostname: "", labels: { "bad key!": "x" } } });
    expect(invalid.status).toBe(422);
  });

  it("keeps agent tokens and API tokens apart", async () => {
    // An API token on the data plane: tests/integration/data-plane.test.ts. An agent token on the admin APIs:
    const agent = await enrollAgent(org);
    expect((await call(policyRoute.POST, "POST", "/api/policy", { token: agent.token, body: { name: "x", rules: [BLOCK_RULE] } })).status).toBe(401);
    expect((await call(agentsRoute.GET, "GET", "/api/agents", { token: agent.token })).status).toBe(401);
  });
});

describe("GET /api/agents", () => {
  it("searches hostnames literally: _ and % are not wildcards", async () => {
    await enrollAgent(org, "web_1");
    await enrollAgent(org, "webx1");
    const response = await call(agentsRoute.GET, "GET", "/api/agents?search=web_1", { token: org.viewer.token });
    const { data } = (await response.json()) as { data: { total: number; agents: { hostname: string }[] } };
    expect(data.agents.map((agent) => agent.hostname)).toEqual(["web_1"]);
    expect(data.total).toBe(1);
  });
});

describe("GET /api/agents/stream", () => {
  // The stream's headers, its first event and each version as it is published: tests/integration/data-plane.test.ts.
  it("pushes network and session policy changes to agents, and not access policy changes", async () => {
    const agent = await enrollAgent(org);
    const stream = await openStream(agent.token);
    expect((await stream.next())?.event).toBe("policy");
    await toggle("pol-network-zero-trust");
    expect(await stream.next()).toMatchObject({ event: "security_policy", data: { change: "toggled", policy: { id: "pol-network-zero-trust", enabled: false } } });
    // Access policies are not enforced by agents: no event.
    await toggle("pol-mfa-required");
    expect(await stream.quietFor(300)).toBe(true);
    await stream.close();
  });

  it("pushes an agent's overrides to that agent only", async () => {
    await publish(org, [BLOCK_RULE]);
    const target = await enrollAgent(org, "target");
    const bystander = await enrollAgent(org, "bystander");
    const [targetStream, bystanderStream] = [await openStream(target.token), await openStream(bystander.token)];
    await targetStream.next();
    await bystanderStream.next();
    const response = await call(overrides.PUT, "PUT", "/overrides", {
      token: org.admin.token,
      params: { id: target.agentId },
      body: { rules: [{ type: "block_ip", config: { threshold: 3 } }] },
    });
    expect(response.status).toBe(200);
    expect(await targetStream.next()).toMatchObject({ event: "overrides", data: { rules: [{ config: { threshold: 3 } }] } });
    expect(await bystanderStream.quietFor(300)).toBe(true);

    // The next version reaches both: personalised for the target, shared bytes for the bystander.
    await publish(org, [BLOCK_RULE, ALERT_RULE]);
    expect(await targetStream.next()).toMatchObject({ event: "policy_version", data: { rules: [{ config: { threshold: 3 } }, ALERT_RULE] } });
    expect(await bystanderStream.next()).toMatchObject({ event: "policy_version", data: { rules: [BLOCK_RULE, ALERT_RULE] } });
    await targetStream.close();
    await bystanderStream.close();
  });
});

// Revocation, a client that leaves or stops reading, replays and `reset`: tests/integration/data-plane.test.ts, on
// both adapters. Here, the edge of what the log still covers.
describe("resuming with Last-Event-ID", () => {
  it("replays when the oldest retained event is the next one the agent needs, and resets when it is one later", async () => {
    await publish(org, [BLOCK_RULE]);
    const agent = await enrollAgent(org);
    const first = await openStream(agent.token);
    const resumeFrom = Number((await first.next())!.id);
    await first.close();
    for (let i = 0; i < 3; i++) await publish(org, [ALERT_RULE], `later-${i}`);

    // Events resumeFrom+1 … resumeFrom+3 are in the log: keeping all three, the oldest is exactly resumeFrom+1.
    await pruneAgentEvents({ keep: 3 });
    const replay = await openStream(agent.token, String(resumeFrom));
    const replayed = [await replay.next(), await replay.next(), await replay.next()];
    expect(replayed.map((event) => [event?.event, Number(event?.id)])).toEqual([1, 2, 3].map((n) => ["policy_version", resumeFrom + n]));
    await replay.close();

    // Keeping two, the oldest is resumeFrom+2: resumeFrom+1 is lost, so a replay would have a hole.
    await pruneAgentEvents({ keep: 2 });
    const reset = await openStream(agent.token, String(resumeFrom));
    expect(await reset.next()).toMatchObject({ event: "reset", id: String(resumeFrom + 3), data: { policyVersion: "v4" } });
    await reset.close();
  });
});

describe("POST /api/agents/heartbeat", () => {
  it("records the reported version, answers whether it is outdated, and sets appliedAt on first report", async () => {
    await publish(org, [BLOCK_RULE]);
    await publish(org, [ALERT_RULE]);
    const agent = await enrollAgent(org);
    const beat = async (policyVersion: string | null) => {
      const response = await call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token: agent.token, body: { policyVersion, agentVersion: "1.2.3" } });
      expect(response.status).toBe(200);
      return ((await response.json()) as { data: Record<string, unknown> }).data;
    };
    expect(await beat("v1")).toMatchObject({ agentId: agent.agentId, latestVersion: "v2", outdated: true, serverTime: expect.any(String) });
    const outdated = await call(agentsRoute.GET, "GET", "/api/agents?status=outdated", { token: org.viewer.token });
    expect(((await outdated.json()) as { data: { agents: { id: string; policyVersion: string; online: boolean }[] } }).data.agents).toMatchObject([
      { id: agent.agentId, policyVersion: "v1", online: true },
    ]);

    expect(await beat("v2")).toMatchObject({ outdated: false });
    const read = await call(agentPolicy.GET, "GET", "/", { token: org.viewer.token, params: { id: agent.agentId } });
    const { data } = (await read.json()) as { data: { policyVersion: string; appliedAt: string } };
    expect(data.policyVersion).toBe("v2");
    expect(new Date(data.appliedAt).getTime()).toBeGreaterThan(Date.now() - 10_000);
  });
});
