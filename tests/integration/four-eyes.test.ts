import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import * as policies from "@/app/api/policies/route";
import * as policy from "@/app/api/policies/[id]/route";
import * as publish from "@/app/api/policy/route";
import * as settings from "@/app/api/organization/settings/route";
import * as restoreRoute from "@/app/api/policies/[id]/revisions/[revision]/restore/route";
import * as changeRequests from "@/app/api/change-requests/route";
import * as approve from "@/app/api/change-requests/[id]/approve/route";
import * as reject from "@/app/api/change-requests/[id]/reject/route";
import * as cancel from "@/app/api/change-requests/[id]/cancel/route";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { getActivePolicyVersion } from "@/db/queries/agent-policies";
import { publishPolicyVersion } from "@/lib/agent-policy/service";
import { getPolicy } from "@/db/queries/policies";
import { getDb } from "@/db";
import { actorFor } from "@/lib/auth/principal";
import { setUserDisabled } from "@/lib/users/service";
import { call, createTestOrg, createTestUser, type TestOrg, type TestUser } from "../helpers";

const MFA = "pol-mfa-required";

interface ChangeRequestJson {
  id: string;
  action: string;
  state: string;
  requested_by: string;
  decided_by: string | null;
}

/** An organization with four-eyes on and a second admin. */
async function fourEyesOrg(): Promise<TestOrg & { second: TestUser }> {
  const org = await createTestOrg();
  const second = await createTestUser("admin", { id: org.orgId });
  const on = await call(settings.PUT, "PUT", "/api/organization/settings", { token: org.admin.token, body: { fourEyes: true } });
  expect(await on.json()).toEqual({ fourEyes: true });
  return { ...org, second };
}

const disableMfa = (token: string) => call(policy.PATCH, "PATCH", `/api/policies/${MFA}`, { token, params: { id: MFA }, body: { enabled: false } });
const decide = (handler: typeof approve.POST, verb: string, token: string, id: string, comment?: string) =>
  call(handler, "POST", `/api/change-requests/${id}/${verb}`, { token, params: { id }, body: comment === undefined ? undefined : { comment } });

async function held(response: Response): Promise<ChangeRequestJson> {
  expect(response.status).toBe(202);
  const body = (await response.json()) as { detail: string; change_request: ChangeRequestJson };
  expect(body.detail).toBe("Approval required");
  return body.change_request;
}

const mfaEnabled = async (orgId: string) => (await getPolicy({ orgId, id: MFA }))!.enabled;

describe("four-eyes approval", () => {
  it("is off by default: disabling a critical policy answers as the seed's document says", async () => {
    const org = await createTestOrg();
    expect(await (await call(settings.GET, "GET", "/api/organization/settings", { token: org.viewer.token })).json()).toEqual({ fourEyes: false });
    const response = await disableMfa(org.admin.token);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: "Policy disabled", enabled: false });
  });

  it("holds disabling a critical policy until a second admin approves; then applies it as the direct call would", async () => {
    const org = await fourEyesOrg();
    const request = await held(await disableMfa(org.admin.token));
    expect(request).toMatchObject({ action: "disable_policy", state: "pending", requested_by: org.admin.user.email });
    expect(await mfaEnabled(org.orgId)).toBe(true);

    expect((await decide(approve.POST, "approve", org.admin.token, request.id)).status).toBe(403);
    expect((await decide(approve.POST, "approve", org.viewer.token, request.id)).status).toBe(403);
    const approved = await decide(approve.POST, "approve", org.second.token, request.id, "Maintenance window");
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ state: "applied", decided_by: org.second.user.email });
    expect(await mfaEnabled(org.orgId)).toBe(false);

    const [toggle] = await listAuditLogs({ orgId: org.orgId, action: "toggle_policy", limit: 5 });
    expect(toggle).toMatchObject({ details: "Policy disabled", success: true, userEmail: org.second.user.email });
    const trail = await listAuditLogs({ orgId: org.orgId, resource: `change-request:${request.id}`, limit: 10 });
    expect(trail.map((row) => `${row.action} ${row.success ? "ok" : "failed"}`)).toEqual([
      "apply_change_request ok",
      "approve_change_request ok",
      "approve_change_request failed",
      "approve_change_request failed",
      "create_change_request ok",
    ]);
  });

  it("applies a request once when two admins approve it at once", async () => {
    const org = await fourEyesOrg();
    const third = await createTestUser("admin", { id: org.orgId });
    const request = await held(await disableMfa(org.admin.token));
    const answers = await Promise.all([decide(approve.POST, "approve", org.second.token, request.id), decide(approve.POST, "approve", third.token, request.id)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(await listAuditLogs({ orgId: org.orgId, action: "toggle_policy", limit: 5 })).toHaveLength(1);
  });

  it("refuses a stale request: the policy changed since it was filed", async () => {
    const org = await fourEyesOrg();
    const request = await held(await disableMfa(org.admin.token));
    await call(policy.PUT, "PUT", `/api/policies/${MFA}`, { token: org.admin.token, params: { id: MFA }, body: { rules: ["Require MFA for login"] } });
    const answer = await decide(approve.POST, "approve", org.second.token, request.id);
    expect(answer.status).toBe(409);
    expect(((await answer.json()) as { detail: string }).detail).toMatch(/file it again/);
    expect(await mfaEnabled(org.orgId)).toBe(true);
    const [latest] = (await (await call(changeRequests.GET, "GET", "/api/change-requests", { token: org.viewer.token })).json()) as ChangeRequestJson[];
    expect(latest).toMatchObject({ id: request.id, state: "cancelled" });
  });

  it("refuses a stale publication: the active version changed since it was filed", async () => {
    const org = await fourEyesOrg();
    const rules = [{ type: "block_ip", config: { trigger: "brute_force", threshold: 5, duration: "1h", scope: "host" } }];
    const filed = await call(publish.POST, "POST", "/api/policy", { token: org.admin.token, body: { name: "Proposed", rules } });
    const { change_request: request } = ((await filed.json()) as { data: { change_request: ChangeRequestJson } }).data;
    // The operator's CLI is not held: it publishes v1 meanwhile.
    await publishPolicyVersion({ actor: actorFor(org.admin.user), input: { name: "Operator", description: null, rules: rules as never } });
    expect((await decide(approve.POST, "approve", org.second.token, request.id)).status).toBe(409);
    expect(await getActivePolicyVersion({ orgId: org.orgId })).toMatchObject({ version: 1, name: "Operator" });
  });

  it("expires a request left 72 hours, and cancels a disabled user's pending requests", async () => {
    const org = await fourEyesOrg();
    const overdue = await held(await disableMfa(org.admin.token));
    await getDb().execute(sql`update change_requests set expires_at = now() - interval '1 second' where id = ${overdue.id}`);
    // Approving it is refused as expired, even before anything listed it.
    const answerFirst = await decide(approve.POST, "approve", org.second.token, overdue.id);
    expect(answerFirst.status).toBe(409);
    expect(await mfaEnabled(org.orgId)).toBe(true);
    const listed = (await (await call(changeRequests.GET, "GET", "/api/change-requests?state=expired", { token: org.viewer.token })).json()) as ChangeRequestJson[];
    expect(listed.map((request) => request.id)).toEqual([overdue.id]);
    const answer = await decide(approve.POST, "approve", org.second.token, overdue.id);
    expect(answer.status).toBe(409);
    expect(((await answer.json()) as { detail: string }).detail).toBe("This change request is expired, not pending");
    expect(await listAuditLogs({ orgId: org.orgId, action: "expire_change_request", limit: 5 })).toMatchObject([{ success: true, resource: `change-request:${overdue.id}` }]);

    const pending = await held(await disableMfa(org.second.token));
    await setUserDisabled({ actor: actorFor(org.admin.user), userId: org.second.user.id, disabled: true });
    const requests = (await (await call(changeRequests.GET, "GET", "/api/change-requests?state=cancelled", { token: org.admin.token })).json()) as ChangeRequestJson[];
    expect(requests.map((request) => request.id)).toEqual([pending.id]);
    expect((await listAuditLogs({ orgId: org.orgId, resource: `change-request:${pending.id}`, limit: 5 }))[0]).toMatchObject({ action: "cancel_change_request", success: true });
    expect(await mfaEnabled(org.orgId)).toBe(true);
  });

  it("rejects and cancels with a comment, and neither changes the policy", async () => {
    const org = await fourEyesOrg();
    const first = await held(await disableMfa(org.admin.token));
    expect(await (await decide(reject.POST, "reject", org.second.token, first.id, "Not during the audit")).json()).toMatchObject({ state: "rejected" });
    const second = await held(await disableMfa(org.admin.token));
    expect(await (await decide(cancel.POST, "cancel", org.admin.token, second.id)).json()).toMatchObject({ state: "cancelled" });
    expect((await decide(approve.POST, "approve", org.second.token, second.id)).status).toBe(409);
    expect(await mfaEnabled(org.orgId)).toBe(true);
    const decisions = await listAuditLogs({ orgId: org.orgId, action: "reject_change_request", limit: 5 });
    expect(decisions).toMatchObject([{ success: true, details: "Rejected: disable the critical policy pol-mfa-required (Not during the audit)" }]);
    expect((await listAuditLogs({ orgId: org.orgId, resource: `change-request:${second.id}`, limit: 5 })).map((row) => `${row.action} ${row.success}`)).toEqual([
      "approve_change_request false",
      "cancel_change_request true",
      "create_change_request true",
    ]);
  });

  it("holds deleting a critical policy and publishing an agent policy version; not enabling a policy or changing a custom one", async () => {
    const org = await fourEyesOrg();
    const deletion = await held(await call(policy.DELETE, "DELETE", `/api/policies/${MFA}?confirm=true`, { token: org.admin.token, params: { id: MFA } }));
    expect(deletion.action).toBe("delete_policy");

    const published = await call(publish.POST, "POST", "/api/policy", { token: org.admin.token, body: { name: "Baseline", rules: [{ type: "block_ip", config: { trigger: "brute_force", threshold: 5, duration: "1h", scope: "host" } }] } });
    expect(published.status).toBe(202);
    const envelope = (await published.json()) as { ok: boolean; data: { detail: string; change_request: ChangeRequestJson } };
    expect(envelope).toMatchObject({ ok: true, data: { detail: "Approval required", change_request: { action: "publish_agent_policy" } } });
    expect(await getActivePolicyVersion({ orgId: org.orgId })).toBeNull();
    expect((await decide(approve.POST, "approve", org.second.token, envelope.data.change_request.id)).status).toBe(200);
    expect(await getActivePolicyVersion({ orgId: org.orgId })).toMatchObject({ version: 1, name: "Baseline" });

    // A flip of an enabled critical policy is a disable, and held; enabling one, or a custom policy, is not.
    const session = "pol-session-recording";
    expect((await call(policy.PATCH, "PATCH", `/api/policies/${session}`, { token: org.admin.token, params: { id: session } })).status).toBe(202);
    await getDb().execute(sql`update policies set enabled = false where org_id = ${org.orgId} and id = ${session}`);
    expect((await call(policy.PATCH, "PATCH", `/api/policies/${session}`, { token: org.admin.token, params: { id: session }, body: { enabled: true } })).status).toBe(200);
    const custom = await call(policies.POST, "POST", "/api/policies", { token: org.admin.token, body: { name: "Custom", type: "access", rules: ["r"] } });
    const { id } = (await custom.json()) as { id: string };
    expect((await call(policy.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id } })).status).toBe(200);
    expect((await call(policy.DELETE, "DELETE", `/api/policies/${id}`, { token: org.admin.token, params: { id } })).status).toBe(200);
  });

  it("needs approval to be turned off, and another organization cannot see or decide its requests", async () => {
    const org = await fourEyesOrg();
    const other = await createTestOrg();
    const request = await held(await call(settings.PUT, "PUT", "/api/organization/settings", { token: org.admin.token, body: { fourEyes: false } }));
    expect(request.action).toBe("disable_four_eyes");
    expect((await decide(approve.POST, "approve", other.admin.token, request.id)).status).toBe(404);
    expect(await (await call(changeRequests.GET, "GET", "/api/change-requests", { token: other.admin.token })).json()).toEqual([]);
    expect((await decide(approve.POST, "approve", org.second.token, request.id)).status).toBe(200);
    expect(await (await call(settings.GET, "GET", "/api/organization/settings", { token: org.viewer.token })).json()).toEqual({ fourEyes: false });
    expect((await disableMfa(org.admin.token)).status).toBe(200);
  });

  it("leaves no way around it: an edit or a restore that would disable a critical policy is refused, and audited", async () => {
    const org = await createTestOrg();
    const second = await createTestUser("admin", { id: org.orgId });
    await disableMfa(org.admin.token);
    await call(policy.PATCH, "PATCH", `/api/policies/${MFA}`, { token: org.admin.token, params: { id: MFA }, body: { enabled: true } });
    await call(settings.PUT, "PUT", "/api/organization/settings", { token: org.admin.token, body: { fourEyes: true } });

    const edit = await call(policy.PUT, "PUT", `/api/policies/${MFA}`, { token: second.token, params: { id: MFA }, body: { enabled: false } });
    expect(edit.status).toBe(409);
    expect(((await edit.json()) as { detail: string }).detail).toMatch(/^Four-eyes approval is on: disabling the critical policy pol-mfa-required needs a second admin/);
    const restore = await call(restoreRoute.POST, "POST", `/api/policies/${MFA}/revisions/2/restore`, { token: second.token, params: { id: MFA, revision: "2" } });
    expect(restore.status).toBe(409);
    expect(await mfaEnabled(org.orgId)).toBe(true);
    const [refusal] = await listAuditLogs({ orgId: org.orgId, action: "restore_policy", limit: 1 });
    expect(refusal).toMatchObject({ success: false });
  });

  it("files a request explicitly, and refuses bad input with clear errors", async () => {
    const org = await fourEyesOrg();
    const filed = await call(changeRequests.POST, "POST", "/api/change-requests", { token: org.admin.token, body: { action: "disable_policy", target: MFA, reason: "Rollout of passkeys" } });
    expect(filed.status).toBe(201);
    expect(await filed.json()).toMatchObject({ action: "disable_policy", state: "pending" });
    expect((await call(changeRequests.POST, "POST", "/api/change-requests", { token: org.admin.token, body: { action: "disable_policy", target: "pol-nope" } })).status).toBe(404);
    expect((await call(changeRequests.POST, "POST", "/api/change-requests", { token: org.admin.token, body: { action: "rename" } })).status).toBe(422);
    expect((await call(changeRequests.POST, "POST", "/api/change-requests", { token: org.viewer.token, body: { action: "disable_four_eyes" } })).status).toBe(403);
    expect((await call(settings.PUT, "PUT", "/api/organization/settings", { token: org.admin.token, body: { fourEyes: "yes" } })).status).toBe(422);
    // Setting the state it has changes nothing, and writes nothing.
    expect(await (await call(settings.PUT, "PUT", "/api/organization/settings", { token: org.admin.token, body: { fourEyes: true } })).json()).toEqual({ fourEyes: true });
    expect(await listAuditLogs({ orgId: org.orgId, action: "update_organization_settings", limit: 5 })).toMatchObject([{ success: true, details: "Four-eyes approval turned on", after: { fourEyes: true } }]);
    const off = await call(changeRequests.POST, "POST", "/api/change-requests", { token: org.admin.token, body: { action: "disable_four_eyes" } });
    expect(await off.json()).toMatchObject({ action: "disable_four_eyes", target: "organization", state: "pending" });
    await getDb().execute(sql`update policies set enabled = false where org_id = ${org.orgId} and id = 'pol-session-recording'`);
    expect((await call(changeRequests.POST, "POST", "/api/change-requests", { token: org.admin.token, body: { action: "disable_policy", target: "pol-session-recording" } })).status).toBe(409);
    const other = await createTestOrg();
    expect((await call(changeRequests.POST, "POST", "/api/change-requests", { token: other.admin.token, body: { action: "disable_four_eyes" } })).status).toBe(409);
    expect((await decide(approve.POST, "approve", org.second.token, "not-an-id")).status).toBe(422);
  });
});
