/**
 * Signed agent policies, checked the way an agent checks them: with the key the enrolment answer gave, through the
 * reference agent's own verifier (agent/policy-signature.ts), for every frame that carries a policy and for
 * GET /api/policy/agent/:id. A shared document is signed once; an agent with overrides gets one naming it.
 */
import { beforeEach, describe, expect, it } from "vitest";
import * as enrollRoute from "@/app/api/agents/enroll/route";
import * as labelsRoute from "@/app/api/agents/[id]/labels/route";
import * as activeRoute from "@/app/api/policy/active/route";
import * as agentPolicyRoute from "@/app/api/policy/agent/[id]/route";
import * as overridesRoute from "@/app/api/policy/agent/[id]/overrides/route";
import * as policyRoute from "@/app/api/policy/route";
import * as abortRoute from "@/app/api/policy/versions/[version]/abort/route";
import * as versionRoute from "@/app/api/policy/versions/[version]/route";
import * as versionsRoute from "@/app/api/policy/versions/route";
import { pruneAgentEvents } from "@/db/queries/agent-events";
import { verifyPolicy, type PinnedKey, type ReceivedPolicy } from "@/agent/policy-signature";
import { ALERT_RULE, BLOCK_RULE, createEnrollmentKey, openStream, publish } from "../agent-helpers";
import { call, createTestOrg, type TestOrg } from "../helpers";

type Json = Record<string, unknown>;
interface Enrolled {
  agentId: string;
  orgId: string;
  token: string;
  policySigningKey: PinnedKey;
}

let org: TestOrg;
beforeEach(async () => {
  org = await createTestOrg();
});

async function enrol(testOrg: TestOrg, labels?: Record<string, string>): Promise<Enrolled> {
  const enrollmentKey = await createEnrollmentKey(testOrg);
  const response = await call(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey, hostname: "signed-1", labels } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { data: Enrolled }).data;
}

/** The agent's verdict on a policy it received, running `runningVersion`. */
const verdict = (agent: Enrolled, policy: Json, runningVersion: number | null = null) =>
  verifyPolicy(policy as unknown as ReceivedPolicy, { pinned: agent.policySigningKey, orgId: agent.orgId, agentId: agent.agentId, runningVersion });

const dataOf = async (response: Response) => ((await response.json()) as { data: Json }).data;
const agentPolicy = async (agent: Enrolled, testOrg = org) =>
  dataOf(await call(agentPolicyRoute.GET, "GET", `/api/policy/agent/${agent.agentId}`, { token: testOrg.viewer.token, params: { id: agent.agentId } }));
/** GET /api/policy/agent/:id as the agent verifies it: the signed version is `targetVersion`. */
const asReceived = (data: Json): Json => ({ ...data, policyVersion: data.targetVersion });

describe("enrolment", () => {
  it("gives the agent the policy signing key to pin and its organization", async () => {
    const agent = await enrol(org);
    expect(agent.orgId).toBe(org.orgId);
    expect(agent.policySigningKey.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(Buffer.from(agent.policySigningKey.publicKey, "base64")).toHaveLength(32);
  });
});

describe("every policy an agent receives is signed", () => {
  it("policy, policy_version, rollout, labels, overrides and reset frames, and the GET, verify with the enrolment key", async () => {
    await publish(org, [BLOCK_RULE], "Baseline");
    const agent = await enrol(org, { ring: "stable" });
    const stream = await openStream(agent.token);
    const seen: string[] = [];
    const expectVerified = async (event: string) => {
      const frame = await stream.next();
      expect(frame?.event).toBe(event);
      expect(verdict(agent, frame!.data)).toMatchObject({ ok: true });
      seen.push(event);
      return frame!;
    };
    await expectVerified("policy");
    await publish(org, [ALERT_RULE], "Second");
    const second = await expectVerified("policy_version");
    expect(second.data).toMatchObject({ policyVersion: "v2", scope: { orgId: org.orgId, agentId: null, selector: null, highestVersion: 2 } });

    // A rollout to other agents: this one keeps v2, told by a `rollout` frame issued when v3 existed.
    await enrol(org, { ring: "canary" });
    const staged = await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: { name: "Canary", rules: [BLOCK_RULE], selector: "ring=canary" } });
    expect(staged.status).toBe(201);
    const rollout = await expectVerified("rollout");
    expect(rollout.data).toMatchObject({ policyVersion: "v2", scope: { highestVersion: 3 } });

    // Relabelled into the rollout: v3, signed for the rollout's selector.
    await call(labelsRoute.PUT, "PUT", `/api/agents/${agent.agentId}/labels`, { token: org.admin.token, params: { id: agent.agentId }, body: { labels: { ring: "canary" } } });
    const relabelled = await expectVerified("policy_version");
    expect(relabelled.data).toMatchObject({ policyVersion: "v3", scope: { selector: "ring=canary", agentId: null } });
    await call(labelsRoute.PUT, "PUT", `/api/agents/${agent.agentId}/labels`, { token: org.admin.token, params: { id: agent.agentId }, body: { labels: { ring: "canary", zone: "a" } } });
    await expectVerified("labels");

    const overridden = await call(overridesRoute.PUT, "PUT", "/overrides", { token: org.admin.token, params: { id: agent.agentId }, body: { rules: [{ type: "block_ip", config: { threshold: 7 } }] } });
    expect(overridden.status).toBe(200);
    const overrides = await expectVerified("overrides");
    expect(overrides.data).toMatchObject({ rules: [{ config: { threshold: 7 } }], scope: { agentId: agent.agentId } });
    const lastId = overrides.id!;
    await stream.close();

    // Aborted: the canary agent goes back to v2, by a document issued when v3 existed, which it accepts running v3.
    expect((await call(abortRoute.POST, "POST", "/api/policy/versions/v3/abort", { token: org.admin.token, params: { version: "v3" } })).status).toBe(200);
    await publish(org, [BLOCK_RULE, ALERT_RULE], "Fourth");
    await pruneAgentEvents({ keep: 1 });
    const resumed = await openStream(agent.token, lastId);
    const reset = await resumed.next();
    expect(reset?.event).toBe("reset");
    expect(verdict(agent, reset!.data, 3)).toMatchObject({ ok: true });
    seen.push("reset");
    await resumed.close();

    expect(verdict(agent, asReceived(await agentPolicy(agent)), 4)).toMatchObject({ ok: true });
    expect(seen).toEqual(["policy", "policy_version", "rollout", "policy_version", "labels", "overrides", "reset"]);
  });

  it("lets an aborted rollout's agents return to the fleet's lower version, signed after the abort", async () => {
    await publish(org, [BLOCK_RULE], "Baseline");
    const agent = await enrol(org, { ring: "canary" });
    await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: { name: "Canary", rules: [ALERT_RULE], selector: "ring=canary" } });
    const stream = await openStream(agent.token);
    expect((await stream.next())?.data).toMatchObject({ policyVersion: "v2" });
    const beforeAbort = asReceived(await agentPolicy(agent));
    await call(abortRoute.POST, "POST", "/api/policy/versions/v2/abort", { token: org.admin.token, params: { version: "v2" } });
    const back = await stream.next();
    expect(back?.data).toMatchObject({ policyVersion: "v1", scope: { highestVersion: 2 } });
    expect(verdict(agent, back!.data, 2)).toMatchObject({ ok: true });
    // v1 as it was signed before v2 existed is a replay: refused to an agent running v2.
    await stream.close();
    expect(beforeAbort).toMatchObject({ targetVersion: "v2" });
    const original = await dataOf(await call(versionRoute.GET, "GET", "/api/policy/versions/v1", { token: org.viewer.token, params: { version: "v1" } }));
    expect(verdict(agent, { ...original, policyVersion: original.version, policyId: original.id }, 2)).toMatchObject({ ok: false, reason: expect.stringContaining("rollback refused") });
  });

  it("signs an agent's own rule set for that agent, and shares the fleet's document between agents without overrides", async () => {
    await publish(org, [BLOCK_RULE], "Baseline");
    const [plain, other, special] = [await enrol(org), await enrol(org), await enrol(org)];
    await call(overridesRoute.PUT, "PUT", "/overrides", { token: org.admin.token, params: { id: special.agentId }, body: { rules: [{ type: "block_ip", enabled: false }] } });
    const [a, b, c] = await Promise.all([agentPolicy(plain), agentPolicy(other), agentPolicy(special)]);
    expect(a.signature).toEqual(b.signature);
    expect(a.scope).toMatchObject({ agentId: null });
    expect(c.scope).toMatchObject({ agentId: special.agentId });
    expect(c.signature).not.toEqual(a.signature);
    expect(verdict(special, asReceived(c))).toMatchObject({ ok: true });
    // Another agent refuses the document signed for this one.
    expect(verdict(plain, asReceived(c))).toMatchObject({ ok: false, reason: expect.stringContaining("another agent") });
    // Rules edited in transit no longer match the signature.
    const tampered = { ...asReceived(c), rules: [{ ...BLOCK_RULE, enabled: true }] };
    expect(verdict(special, tampered)).toMatchObject({ ok: false, reason: expect.stringContaining("bad signature") });
  });

  it("signs each version in the Agent Policy API, keeping its shape", async () => {
    await publish(org, [BLOCK_RULE], "Baseline");
    await publish(org, [ALERT_RULE], "Second");
    const agent = await enrol(org);
    const active = await dataOf(await call(activeRoute.GET, "GET", "/api/policy/active", { token: org.viewer.token }));
    expect(active).toMatchObject({ id: expect.any(String), name: "Second", version: "v2", rules: [ALERT_RULE], createdAt: expect.any(String) });
    const list = ((await (await call(versionsRoute.GET, "GET", "/api/policy/versions", { token: org.viewer.token })).json()) as { data: Json[] }).data;
    for (const version of [active, ...list]) {
      expect(version.signature).toMatchObject({ keyId: agent.policySigningKey.keyId, value: expect.any(String) });
      expect(verdict(agent, { ...version, policyVersion: version.version, policyId: version.id })).toMatchObject({ ok: true });
    }
  });

  it("names the organization: another organization's agent refuses it, and another organization's agent is a 404", async () => {
    await publish(org, [BLOCK_RULE], "Mine");
    const other = await createTestOrg();
    await publish(other, [ALERT_RULE], "Theirs");
    const [mine, theirs] = [await enrol(org), await enrol(other)];
    const myPolicy = asReceived(await agentPolicy(mine));
    expect(myPolicy.scope).toMatchObject({ orgId: org.orgId });
    expect(verdict(theirs, myPolicy)).toMatchObject({ ok: false, reason: expect.stringContaining("another organization") });
    const crossed = await call(agentPolicyRoute.GET, "GET", `/api/policy/agent/${theirs.agentId}`, { token: org.viewer.token, params: { id: theirs.agentId } });
    expect(crossed.status).toBe(404);
  });
});
