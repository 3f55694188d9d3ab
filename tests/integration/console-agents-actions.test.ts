import { beforeEach, describe, expect, it, vi } from "vitest";
import * as auditLogs from "@/app/api/audit-logs/route";
import * as agentPolicy from "@/app/api/policy/agent/[id]/route";
import type { PublishInput } from "@/app/(console)/agent-policy/actions";
import type { Actor } from "@/lib/audit/log";
import type { User } from "@/db/schema";
import { actorFor } from "@/lib/auth/principal";
import { ALERT_RULE, BLOCK_RULE, enroll, enrollAgent, publish } from "../agent-helpers";
import { call, createTestOrg, type TestOrg, type TestUser } from "../helpers";

// The console's server actions, called as the browser calls them, against the real database. Only the
// session (a cookie outside a request) and the router refresh (a request-scoped call) are stood in for.
const session = vi.hoisted(() => ({ current: null as { user: User; actor: Actor } | null }));
vi.mock("@/lib/auth/session", () => ({
  requireUser: async () => {
    if (!session.current) throw new Error("test: no session");
    return session.current;
  },
}));
vi.mock("next/cache", () => ({ refresh: vi.fn() }));

const { abortPolicyVersionAction, promotePolicyVersionAction, publishPolicyVersionAction, republishPolicyVersionAction } = await import("@/app/(console)/agent-policy/actions");
// What the browser sends is JSON of any shape; the action's schema is what types it.
const publishBody = (body: unknown) => body as PublishInput;
const { relabelAgentAction, revokeAgentAction, setAgentOverridesAction } = await import("@/app/(console)/agents/[id]/actions");
const { createEnrollmentKeyAction, revokeEnrollmentKeyAction } = await import("@/app/(console)/agents/enrollment-keys/actions");
const { getActivePolicyVersion, getPolicyVersion, getRolloutVersion } = await import("@/db/queries/agent-policies");
const { getAgent } = await import("@/db/queries/agents");
const { listEnrollmentKeys } = await import("@/db/queries/enrollment-keys");

let org: TestOrg;
const signedInAs = ({ user }: TestUser) => {
  session.current = { user, actor: actorFor(user) };
};
const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
};
const auditOf = async (action: string) =>
  (await (await call(auditLogs.GET, "GET", `/api/audit-logs?action=${action}`, { token: org.admin.token })).json()) as { details: string; user_email: string; success: boolean }[];

beforeEach(async () => {
  org = await createTestOrg();
  signedInAs(org.admin);
});

describe("publishing from the console", () => {
  it("publishes the next version, audited as the admin", async () => {
    const result = await publishPolicyVersionAction(undefined, publishBody({ name: "Baseline", description: "", rules: [BLOCK_RULE, ALERT_RULE] }));
    expect(result).toEqual({ success: "Published v1.", data: { version: "v1", pushed: 0 } });
    const active = await getActivePolicyVersion({ orgId: org.orgId });
    expect(active).toMatchObject({ version: 1, name: "Baseline", description: null, rules: [BLOCK_RULE, ALERT_RULE] });
    const [entry] = await auditOf("create_policy_version");
    expect(entry).toMatchObject({ details: 'Published v1 "Baseline" with 2 rules', user_email: org.admin.user.email });
  });

  it("names each bad field by its path and publishes nothing", async () => {
    const result = await publishPolicyVersionAction(
      undefined,
      publishBody({ name: " ", rules: [BLOCK_RULE, { type: "block_ip", config: { ...BLOCK_RULE.config, threshold: 0 }, enabled: true }] }),
    );
    expect(result.error).toBe("Check the highlighted fields.");
    expect(result.fields).toEqual({ name: "must not be empty", "rules.1.config.threshold": "must be greater than 0" });
    expect(await getActivePolicyVersion({ orgId: org.orgId })).toBeNull();
  });

  it("refuses a viewer", async () => {
    signedInAs(org.viewer);
    const result = await publishPolicyVersionAction(undefined, publishBody({ name: "Sneaky", rules: [BLOCK_RULE] }));
    expect(result).toEqual({ error: "Not authorized: only admins can do this." });
    expect(await getActivePolicyVersion({ orgId: org.orgId })).toBeNull();
  });
});

describe("republishing (rollback)", () => {
  it("publishes an old version's rules again as the newest, marked as republished from it", async () => {
    await publish(org, [BLOCK_RULE], "First");
    await publish(org, [ALERT_RULE], "Second");
    const result = await republishPolicyVersionAction(undefined, form({ version: "1" }));
    expect(result).toEqual({ success: "Republished v1 as v3, now active." });
    expect(await getPolicyVersion({ orgId: org.orgId, version: 3 })).toMatchObject({ name: "First", rules: [BLOCK_RULE], republishedFrom: 1 });
    expect((await auditOf("create_policy_version"))[0]?.details).toBe('Republished v1 as v3 "First"');
  });

  it("answers an unknown version, and refuses a viewer", async () => {
    await publish(org);
    expect(await republishPolicyVersionAction(undefined, form({ version: "9" }))).toEqual({ error: "Version v9 does not exist." });
    signedInAs(org.viewer);
    expect(await republishPolicyVersionAction(undefined, form({ version: "1" }))).toEqual({ error: "Not authorized: only admins can do this." });
    expect((await getActivePolicyVersion({ orgId: org.orgId }))?.version).toBe(1);
  });
});

describe("staged rollouts from the console", () => {
  beforeEach(async () => {
    await enrollAgent(org, "canary-1", { ring: "canary" });
    await publish(org, [BLOCK_RULE], "Baseline");
  });

  it("publishes to a selector, written in any spacing, and an empty one to the whole fleet", async () => {
    const staged = await publishPolicyVersionAction(undefined, publishBody({ name: "Canary", rules: [ALERT_RULE], selector: " ring = canary " }));
    expect(staged).toEqual({ success: "Published v2, rolling out to ring=canary.", data: { version: "v2", pushed: 0 } });
    expect(await getRolloutVersion({ orgId: org.orgId })).toMatchObject({ version: 2, selector: "ring=canary", stage: "canary" });
    expect((await getActivePolicyVersion({ orgId: org.orgId }))?.version).toBe(1);

    expect(await promotePolicyVersionAction(undefined, form({ version: "2" }))).toEqual({ success: "Promoted v2 to the whole fleet." });
    const fleet = await publishPolicyVersionAction(undefined, publishBody({ name: "Everyone", rules: [BLOCK_RULE], selector: "  " }));
    expect(fleet).toMatchObject({ success: "Published v3." });
    expect((await getActivePolicyVersion({ orgId: org.orgId }))?.version).toBe(3);
  });

  it("names a bad selector at its field, and one that matches no agent", async () => {
    const garbage = await publishPolicyVersionAction(undefined, publishBody({ name: "Canary", rules: [ALERT_RULE], selector: "ring~canary" }));
    expect(garbage.fields?.selector).toContain('"ring~canary" (requirement 1) is not key=value');
    const nobody = await publishPolicyVersionAction(undefined, publishBody({ name: "Canary", rules: [ALERT_RULE], selector: "ring=nightly" }));
    expect(nobody.fields?.selector).toBe("ring=nightly matches no enrolled agent: relabel agents first, or publish to the whole fleet");
    expect(await getRolloutVersion({ orgId: org.orgId })).toBeNull();
  });

  it("aborts a rollout once, then says it is not rolling out; a viewer can do neither", async () => {
    await publishPolicyVersionAction(undefined, publishBody({ name: "Canary", rules: [ALERT_RULE], selector: "ring=canary" }));
    signedInAs(org.viewer);
    expect(await abortPolicyVersionAction(undefined, form({ version: "2" }))).toEqual({ error: "Not authorized: only admins can do this." });
    expect(await promotePolicyVersionAction(undefined, form({ version: "2" }))).toEqual({ error: "Not authorized: only admins can do this." });
    signedInAs(org.admin);
    expect(await abortPolicyVersionAction(undefined, form({ version: "2" }))).toEqual({ success: "Aborted the rollout of v2: its agents return to the active version." });
    expect(await abortPolicyVersionAction(undefined, form({ version: "2" }))).toEqual({ error: "v2 is not rolling out: its rollout was aborted" });
    // Newest first: the refused second abort, the abort, the viewer's refusal; each audited.
    expect((await auditOf("abort_policy_version")).map(({ user_email, success, details }) => [user_email, success, details])).toEqual([
      [org.admin.user.email, false, "Refused: v2 is not rolling out: its rollout was aborted"],
      [org.admin.user.email, true, 'Aborted the rollout of v2 "Canary" to ring=canary: its agents return to v1'],
      [org.viewer.user.email, false, "Refused: the viewer role cannot do this"],
    ]);
  });
});

describe("agent overrides and revocation", () => {
  it("saves overrides that the agent's effective rules then carry", async () => {
    await publish(org, [BLOCK_RULE, ALERT_RULE]);
    const agent = await enrollAgent(org, "web-1");
    const result = await setAgentOverridesAction(undefined, { id: agent.agentId, rules: [{ type: "block_ip", config: { threshold: 5 } }, { type: "alert_threshold", enabled: false }] });
    expect(result).toEqual({ success: "Overrides saved and pushed to the agent." });
    const response = await call(agentPolicy.GET, "GET", `/api/policy/agent/${agent.agentId}`, { token: org.viewer.token, params: { id: agent.agentId } });
    const { data } = (await response.json()) as { data: { rules: unknown[] } };
    expect(data.rules).toEqual([
      { ...BLOCK_RULE, config: { ...BLOCK_RULE.config, threshold: 5 } },
      { ...ALERT_RULE, enabled: false },
    ]);
    expect((await auditOf("set_agent_overrides"))[0]?.details).toBe("Set 2 override(s) on web-1");
  });

  it("names a bad override field by its path, and refuses another organization's agent", async () => {
    await publish(org);
    const agent = await enrollAgent(org);
    const bad = await setAgentOverridesAction(undefined, { id: agent.agentId, rules: [{ type: "block_ip", config: { duration: "2h" } }] } as never);
    expect(bad.fields).toEqual({ "rules.0.config.duration": "must be one of 30m, 1h, 24h, 7d, permanent" });
    const other = await createTestOrg();
    const stranger = await enrollAgent(other);
    expect(await setAgentOverridesAction(undefined, { id: stranger.agentId, rules: [] })).toEqual({ error: "This agent does not exist or has been revoked." });
    expect((await getAgent({ orgId: other.orgId, id: stranger.agentId }))?.overrides).toEqual([]);
  });

  it("revokes an agent once", async () => {
    const agent = await enrollAgent(org, "db-1");
    expect(await revokeAgentAction(undefined, form({ id: agent.agentId }))).toEqual({ success: "Revoked db-1: its token no longer works and its stream is closed." });
    expect((await getAgent({ orgId: org.orgId, id: agent.agentId }))?.revokedAt).toBeInstanceOf(Date);
    expect(await revokeAgentAction(undefined, form({ id: agent.agentId }))).toEqual({ error: "This agent does not exist or is already revoked." });
  });

  it("relabels an agent from name=value lines, naming a bad line", async () => {
    const agent = await enrollAgent(org, "web-1");
    expect(await relabelAgentAction(undefined, form({ id: agent.agentId, labels: "ring = canary\n\nenv=prod\n" }))).toEqual({ success: "Labels saved." });
    expect((await getAgent({ orgId: org.orgId, id: agent.agentId }))?.labels).toEqual({ ring: "canary", env: "prod" });
    expect((await relabelAgentAction(undefined, form({ id: agent.agentId, labels: "ring=canary\nno separator" }))).fields).toEqual({ labels: "Line 2: write name=value" });
    expect((await getAgent({ orgId: org.orgId, id: agent.agentId }))?.labels).toEqual({ ring: "canary", env: "prod" });
  });
});

describe("enrollment keys", () => {
  it("creates a key shown once and stored as a hash, which enrols up to its uses and expires after 24 hours unless told otherwise", async () => {
    const result = await createEnrollmentKeyAction(undefined, form({ uses: "1", expiresHours: "" }));
    const key = result.data!.key;
    expect(key).toMatch(/^penr_/);
    const [stored] = await listEnrollmentKeys({ orgId: org.orgId });
    expect(stored).toMatchObject({ keyPrefix: result.data!.prefix, maxUses: 1, uses: 0 });
    expect(Math.abs(stored!.expiresAt!.getTime() - (Date.now() + 24 * 3_600_000))).toBeLessThan(60_000);
    expect(JSON.stringify(stored)).not.toContain(key);
    await enroll(key, "first");
    await expect(enroll(key, "second")).rejects.toThrow(/enroll: 401/);
  });

  it("sets an expiry in hours, and validates the fields", async () => {
    await createEnrollmentKeyAction(undefined, form({ uses: "", expiresHours: "2" }));
    const [stored] = await listEnrollmentKeys({ orgId: org.orgId });
    expect(stored!.expiresAt!.getTime() - Date.now()).toBeGreaterThan(2 * 3_600_000 - 60_000);
    const bad = await createEnrollmentKeyAction(undefined, form({ uses: "0", expiresHours: "soon" }));
    expect(Object.keys(bad.fields ?? {}).sort()).toEqual(["expiresHours", "uses"]);
  });

  it("revokes a key, after which it enrols nothing; viewers can do neither", async () => {
    const { data } = await createEnrollmentKeyAction(undefined, form({}));
    const [stored] = await listEnrollmentKeys({ orgId: org.orgId });
    expect(await revokeEnrollmentKeyAction(undefined, form({ id: stored!.id }))).toEqual({ success: "Enrollment key revoked: it enrols no more agents." });
    await expect(enroll(data!.key)).rejects.toThrow(/enroll: 401/);
    signedInAs(org.viewer);
    expect(await createEnrollmentKeyAction(undefined, form({}))).toEqual({ error: "Not authorized: only admins can do this." });
    expect(await revokeEnrollmentKeyAction(undefined, form({ id: stored!.id }))).toEqual({ error: "Not authorized: only admins can do this." });
  });
});
