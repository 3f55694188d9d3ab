/**
 * Staged rollout of agent policy versions by label selector: a version published to `ring=canary` reaches the
 * canary agents only, promote sends it to the fleet, abort returns the canary agents to the active version, and
 * every view (stream, replay, agent policy, heartbeat, outdated filter, `broadcastedTo`) agrees on which version
 * applies to which agent.
 */
import { beforeEach, describe, expect, it } from "vitest";
import * as activeRoute from "@/app/api/policy/active/route";
import * as agentPolicyRoute from "@/app/api/policy/agent/[id]/route";
import * as agentsRoute from "@/app/api/agents/route";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as labelsRoute from "@/app/api/agents/[id]/labels/route";
import * as policyRoute from "@/app/api/policy/route";
import * as promoteRoute from "@/app/api/policy/versions/[version]/promote/route";
import * as abortRoute from "@/app/api/policy/versions/[version]/abort/route";
import * as versionRoute from "@/app/api/policy/versions/[version]/route";
import * as settings from "@/app/api/organization/settings/route";
import * as approve from "@/app/api/change-requests/[id]/approve/route";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { fleetConvergence } from "@/db/queries/convergence";
import { countLiveAgentsMatching } from "@/db/queries/agents";
import { matchesSelector, parseSelector } from "@/lib/agent-policy/selector";
import { heartbeats } from "@/lib/agents/heartbeats";
import { ALERT_RULE, BLOCK_RULE, enrollAgent, openStream, publish, type TestAgent } from "../agent-helpers";
import { call, createTestOrg, createTestUser, type TestOrg } from "../helpers";
import type { SseReader } from "../sse-client";

let org: TestOrg;
let canary: TestAgent;
let stable: TestAgent;

beforeEach(async () => {
  org = await createTestOrg();
  canary = await enrollAgent(org, "canary-1", { ring: "canary" });
  stable = await enrollAgent(org, "stable-1", { ring: "stable" });
  await publish(org, [BLOCK_RULE], "Baseline");
});

type Json = Record<string, unknown>;
const dataOf = async (response: Response) => ((await response.json()) as { data: Json }).data;

const publishStaged = (selector: string, testOrg = org) =>
  call(policyRoute.POST, "POST", "/api/policy", { token: testOrg.admin.token, body: { name: "Canary rules", rules: [ALERT_RULE], selector } });

const endRollout = (route: typeof promoteRoute | typeof abortRoute, version: string, token = org.admin.token) =>
  call(route.POST, "POST", `/api/policy/versions/${version}/${route === promoteRoute ? "promote" : "abort"}`, { token, params: { version } });

const agentPolicy = async (agent: TestAgent) => dataOf(await call(agentPolicyRoute.GET, "GET", `/api/policy/agent/${agent.agentId}`, { token: org.viewer.token, params: { id: agent.agentId } }));

const beat = async (agent: TestAgent, policyVersion: string) => {
  const response = await call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token: agent.token, body: { policyVersion } });
  expect(response.status).toBe(200);
  return dataOf(response);
};

const outdatedHosts = async () => {
  await heartbeats().flush();
  const data = await dataOf(await call(agentsRoute.GET, "GET", "/api/agents?status=outdated", { token: org.viewer.token }));
  return (data.agents as { hostname: string }[]).map((agent) => agent.hostname).sort();
};

/** A stream read past its first event (the `policy` snapshot), which is returned. */
async function streamFrom(agent: TestAgent): Promise<{ stream: SseReader; first: Json; id: string }> {
  const stream = await openStream(agent.token);
  const first = await stream.next();
  expect(first?.event).toBe("policy");
  return { stream, first: first!.data, id: first!.id! };
}

describe("a version published to a label selector", () => {
  it("reaches the canary agents, and tells the others they keep the active version", async () => {
    const [toCanary, toStable] = [await streamFrom(canary), await streamFrom(stable)];
    const response = await publishStaged(" ring = canary ");
    expect(response.status).toBe(201);
    expect(await dataOf(response)).toMatchObject({ version: "v2", stage: "canary", selector: "ring=canary", broadcastedTo: 1 });

    expect(await toCanary.stream.next()).toMatchObject({ event: "policy_version", data: { policyVersion: "v2", rules: [ALERT_RULE], rollout: { version: "v2", selector: "ring=canary", targeted: true } } });
    expect(await toStable.stream.next()).toMatchObject({ event: "rollout", data: { policyVersion: "v1", rules: [BLOCK_RULE], rollout: { version: "v2", targeted: false } } });
    await Promise.all([toCanary.stream.close(), toStable.stream.close()]);

    // The fleet at large still runs v1; the API says which version applies to whom.
    expect(await dataOf(await call(activeRoute.GET, "GET", "/api/policy/active", { token: org.viewer.token }))).toMatchObject({
      version: "v1",
      rollout: { version: "v2", stage: "canary", selector: "ring=canary" },
    });
    expect(await agentPolicy(canary)).toMatchObject({ targetVersion: "v2", rules: [ALERT_RULE], rollout: { version: "v2", targeted: true } });
    expect(await agentPolicy(stable)).toMatchObject({ targetVersion: "v1", rules: [BLOCK_RULE], rollout: { version: "v2", targeted: false } });

    // Heartbeats and the outdated filter judge each agent against its own version.
    expect(await beat(canary, "v1")).toMatchObject({ latestVersion: "v2", outdated: true });
    expect(await beat(stable, "v1")).toMatchObject({ latestVersion: "v1", outdated: false });
    expect(await outdatedHosts()).toEqual(["canary-1"]);
    expect(await beat(canary, "v2")).toMatchObject({ latestVersion: "v2", outdated: false });
    expect(await outdatedHosts()).toEqual([]);
  });

  it("gives a new connection the version that applies to it", async () => {
    await publishStaged("ring in (canary,beta)");
    const [toCanary, toStable] = [await streamFrom(canary), await streamFrom(stable)];
    expect(toCanary.first).toMatchObject({ policyVersion: "v2", rollout: { version: "v2", selector: "ring in (canary,beta)", targeted: true } });
    expect(toStable.first).toMatchObject({ policyVersion: "v1", rollout: { targeted: false } });
    await Promise.all([toCanary.stream.close(), toStable.stream.close()]);
  });

  it("is refused while another rollout is in progress, when it matches no agent, and when it is not a selector", async () => {
    expect((await publishStaged("ring=canary")).status).toBe(201);
    const second = await publish(org, [BLOCK_RULE]).catch((error: Error) => error.message);
    expect(second).toContain("409");
    expect(second).toContain("v2 is rolling out to ring=canary: promote or abort it before publishing another version");

    await endRollout(abortRoute, "v2");
    const nobody = await publishStaged("ring=nightly");
    expect(nobody.status).toBe(422);
    expect(JSON.stringify(await nobody.json())).toContain("ring=nightly matches no enrolled agent");
    const garbage = await publishStaged("ring ~ canary");
    expect(garbage.status).toBe(422);
    expect(await garbage.json()).toMatchObject({ ok: false, error: { details: [{ path: "selector" }] } });
    // Nothing refused was published: the next version is v3.
    expect((await publish(org)).version).toBe("v3");
  });
});

describe("promoting a rollout", () => {
  it("sends the version to the rest of the fleet, which then counts as outdated until it reports it", async () => {
    await publishStaged("ring=canary");
    const [toCanary, toStable] = [await streamFrom(canary), await streamFrom(stable)];
    const response = await endRollout(promoteRoute, "v2");
    expect(response.status).toBe(200);
    const promoted = await dataOf(response);
    expect(promoted).toMatchObject({ version: "v2", stage: "fleet", selector: "ring=canary", broadcastedTo: 1 });
    expect(promoted.promotedAt).toMatch(/^\d{4}-/);

    expect(await toStable.stream.next()).toMatchObject({ event: "policy_version", data: { policyVersion: "v2", rules: [ALERT_RULE], rollout: null } });
    expect(await toCanary.stream.next()).toMatchObject({ event: "rollout", data: { policyVersion: "v2", rollout: null } });
    await Promise.all([toCanary.stream.close(), toStable.stream.close()]);

    expect(await dataOf(await call(activeRoute.GET, "GET", "/api/policy/active", { token: org.viewer.token }))).toMatchObject({ version: "v2", rollout: null });
    expect(await beat(stable, "v1")).toMatchObject({ latestVersion: "v2", outdated: true });

    const again = await endRollout(promoteRoute, "v2");
    expect(again.status).toBe(409);
    expect(JSON.stringify(await again.json())).toContain("v2 is not rolling out: it was promoted already");
  });

  it("measures convergence per stage: the canary agents first, then the whole fleet again from promotion", async () => {
    await publishStaged("ring=canary");
    const convergedAt = async () => {
      await heartbeats().flush();
      const { versions } = await fleetConvergence({ orgId: org.orgId, offlineAfterSeconds: 90 });
      return versions.find((version) => version.version === 2)?.convergedAt ?? null;
    };
    await beat(stable, "v1");
    expect(await convergedAt()).toBeNull();
    await beat(canary, "v2");
    expect(await convergedAt()).toBeInstanceOf(Date);

    await endRollout(promoteRoute, "v2");
    await beat(canary, "v2");
    expect(await convergedAt()).toBeNull();
    await beat(stable, "v2");
    expect(await convergedAt()).toBeInstanceOf(Date);
  });

  it("is audited, with the selector it came from", async () => {
    await publishStaged("ring=canary");
    await endRollout(promoteRoute, "v2");
    const entries = await listAuditLogs({ orgId: org.orgId, limit: 10 });
    expect(entries.find((entry) => entry.action === "promote_policy_version")).toMatchObject({
      resource: "agent-policy:v2",
      details: 'Promoted v2 "Canary rules" from ring=canary to the whole fleet',
      success: true,
      before: { version: "v2", stage: "canary", selector: "ring=canary" },
      after: { version: "v2", stage: "fleet", selector: "ring=canary" },
    });
    expect(entries.find((entry) => entry.action === "create_policy_version")?.details).toBe('Published v2 "Canary rules" with 1 rules to ring=canary (1 agent)');
  });
});

describe("aborting a rollout", () => {
  it("returns the canary agents to the active version, also across a reconnect in the middle of the rollout", async () => {
    await publishStaged("ring=canary");
    // The canary agent applied v2, then lost its connection; the stable agent left before the rollout began.
    const toCanary = await streamFrom(canary);
    await toCanary.stream.close();
    const response = await endRollout(abortRoute, "v2");
    expect(response.status).toBe(200);
    expect(await dataOf(response)).toMatchObject({ version: "v2", stage: "aborted", broadcastedTo: 0 });

    const resumed = await openStream(canary.token, toCanary.id);
    expect(await resumed.next()).toMatchObject({ event: "policy_version", data: { policyVersion: "v1", rules: [BLOCK_RULE], rollout: null } });
    expect(await resumed.quietFor(300)).toBe(true);
    await resumed.close();

    // From before the rollout: both changes replayed, ending where it started.
    const fromBefore = await openStream(canary.token, String(Number(toCanary.id) - 1));
    const replayed = [await fromBefore.next(), await fromBefore.next()];
    expect(replayed.map((event) => [event?.event, event?.data.policyVersion])).toEqual([
      ["policy_version", "v2"],
      ["policy_version", "v1"],
    ]);
    await fromBefore.close();

    // v2 stays in the history, aborted; an agent still reporting it is outdated, one back on v1 is not.
    expect(await dataOf(await call(versionRoute.GET, "GET", "/api/policy/versions/v2", { token: org.viewer.token, params: { version: "v2" } }))).toMatchObject({ stage: "aborted" });
    expect(await beat(canary, "v2")).toMatchObject({ latestVersion: "v1", outdated: true });
    await beat(stable, "v1");
    expect(await outdatedHosts()).toEqual(["canary-1"]);
  });

  it("acts on the caller's organization only: its own version numbers, 404 for one it never published", async () => {
    const other = await createTestOrg();
    await enrollAgent(other, "theirs", { ring: "canary" });
    await publish(other);
    expect((await publishStaged("ring=canary", other)).status).toBe(201);
    await publish(org);
    const response = await endRollout(abortRoute, "v2");
    expect(response.status).toBe(409);
    expect((await endRollout(abortRoute, "v7")).status).toBe(404);
    const theirs = await call(activeRoute.GET, "GET", "/api/policy/active", { token: other.viewer.token });
    expect(await dataOf(theirs)).toMatchObject({ version: "v1", rollout: { version: "v2", stage: "canary" } });
  });

  it("is refused to a viewer", async () => {
    await publishStaged("ring=canary");
    expect((await endRollout(abortRoute, "v2", org.viewer.token)).status).toBe(403);
    expect((await agentPolicy(canary)).targetVersion).toBe("v2");
  });
});

describe("relabelling during a rollout", () => {
  it("moves an agent into the canary ring onto the rollout's version, live", async () => {
    await publishStaged("ring=canary");
    const toStable = await streamFrom(stable);
    expect(toStable.first).toMatchObject({ policyVersion: "v1" });
    const relabel = await call(labelsRoute.PUT, "PUT", `/api/agents/${stable.agentId}/labels`, { token: org.admin.token, params: { id: stable.agentId }, body: { labels: { ring: "canary" } } });
    expect(await dataOf(relabel)).toMatchObject({ targetVersion: "v2", outdated: true });
    expect(await toStable.stream.next()).toMatchObject({ event: "policy_version", data: { policyVersion: "v2", rollout: { targeted: true } } });
    await toStable.stream.close();
    expect(await beat(stable, "v2")).toMatchObject({ latestVersion: "v2", outdated: false });
  });
});

describe("with four-eyes on", () => {
  it("holds promote and abort for a second admin, who applies them", async () => {
    await publishStaged("ring=canary");
    const second = await createTestUser("admin", { id: org.orgId });
    await call(settings.PUT, "PUT", "/api/organization/settings", { token: org.admin.token, body: { fourEyes: true } });

    const held = await endRollout(promoteRoute, "v2");
    expect(held.status).toBe(202);
    const { change_request: request } = (await dataOf(held)) as { change_request: { id: string; action: string; target: string } };
    // The request shows what the fleet runs now and what it would run.
    expect(request).toMatchObject({
      action: "promote_agent_policy",
      target: "agent-policy:v2",
      preview: { before: { name: "Baseline", rules: [BLOCK_RULE] }, after: { name: "Canary rules", rules: [ALERT_RULE] } },
    });
    const abortHeld = (await dataOf(await endRollout(abortRoute, "v2"))) as { change_request: unknown };
    expect(abortHeld.change_request).toMatchObject({ action: "abort_agent_policy", preview: { before: { name: "Canary rules" }, after: { name: "Baseline" } } });
    expect((await agentPolicy(stable)).targetVersion).toBe("v1");

    const approved = await call(approve.POST, "POST", `/api/change-requests/${request.id}/approve`, { token: second.token, params: { id: request.id }, body: {} });
    expect(approved.status).toBe(200);
    expect((await agentPolicy(stable)).targetVersion).toBe("v2");
  });
});

describe("the selector in SQL", () => {
  it("matches exactly the agents the in-memory rule does, for every operator, a missing label included", async () => {
    const fleet: Record<string, string>[] = [{ ring: "canary", env: "prod" }, { ring: "canary", env: "dev" }, { ring: "beta" }, { env: "prod" }, {}];
    const other = await createTestOrg();
    for (const [index, labels] of fleet.entries()) await enrollAgent(other, `host-${index}`, labels);
    for (const selector of ["ring=canary", "ring!=canary", "ring in (canary,beta)", "ring notin (canary)", "ring=canary,env=prod", "env!=prod,ring notin (beta)"]) {
      const parsed = parseSelector(selector);
      if ("error" in parsed) throw new Error(parsed.error);
      const expected = fleet.filter((labels) => matchesSelector(parsed.requirements, labels)).length;
      expect(await countLiveAgentsMatching({ orgId: other.orgId, selector }), selector).toBe(expected);
    }
  });
});

describe("a first version published to a selector", () => {
  it("applies to its agents only: the others, and GET /api/policy/active, have no version yet", async () => {
    const fresh = await createTestOrg();
    const [first, second] = [await enrollAgent(fresh, "c", { ring: "canary" }), await enrollAgent(fresh, "s")];
    const toSecond = await openStream(second.token);
    expect((await toSecond.next())?.data).toMatchObject({ policyVersion: null, rollout: null });
    expect((await publishStaged("ring=canary", fresh)).status).toBe(201);
    expect(await toSecond.next()).toMatchObject({ event: "rollout", data: { policyVersion: null, rules: [], rollout: { version: "v1", targeted: false } } });
    await toSecond.close();
    const active = await call(activeRoute.GET, "GET", "/api/policy/active", { token: fresh.viewer.token });
    expect(active.status).toBe(404);
    expect(JSON.stringify(await active.json())).toContain("No agent policy has been published to the whole fleet yet");
    const beatOf = async (agent: TestAgent) => dataOf(await call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token: agent.token, body: { policyVersion: null } }));
    expect(await beatOf(first)).toMatchObject({ latestVersion: "v1", outdated: true });
    expect(await beatOf(second)).toMatchObject({ latestVersion: null, outdated: false });
  });
});
