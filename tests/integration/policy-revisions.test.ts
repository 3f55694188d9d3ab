import { describe, expect, it } from "vitest";
import * as policies from "@/app/api/policies/route";
import * as policy from "@/app/api/policies/[id]/route";
import * as revisions from "@/app/api/policies/[id]/revisions/route";
import * as revision from "@/app/api/policies/[id]/revisions/[revision]/route";
import * as restore from "@/app/api/policies/[id]/revisions/[revision]/restore/route";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { listDeletedPolicies } from "@/db/queries/policy-revisions";
import type { PolicyRevisionJson } from "@/lib/policies/serialize";
import { call, createTestOrg, type TestOrg } from "../helpers";

type Revision = PolicyRevisionJson;

const list = async (org: TestOrg, id: string) => (await call(revisions.GET, "GET", `/api/policies/${id}/revisions`, { token: org.admin.token, params: { id } })).json() as Promise<Revision[]>;
const restoreRevision = (org: TestOrg, id: string, n: number | string, token = org.admin.token) =>
  call(restore.POST, "POST", `/api/policies/${id}/revisions/${n}/restore`, { token, params: { id, revision: String(n) } });

async function createCustom(org: TestOrg, body: Record<string, unknown> = {}): Promise<string> {
  const response = await call(policies.POST, "POST", "/api/policies", { token: org.admin.token, body: { name: "Block USB", type: "network", rules: ["Deny mass storage"], ...body } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

describe("security policy revisions", () => {
  it("number every change of a policy, newest first, each with the policy as the change left it and who made it", async () => {
    const org = await createTestOrg();
    const id = await createCustom(org);
    await call(policy.PUT, "PUT", `/api/policies/${id}`, { token: org.admin.token, params: { id }, body: { rules: ["Deny mass storage", "Alert the SOC"] } });
    await call(policy.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id } });
    // Setting the state it already has changes nothing, and writes no revision.
    await call(policy.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id }, body: { enabled: false } });
    await call(policy.DELETE, "DELETE", `/api/policies/${id}`, { token: org.admin.token, params: { id } });

    const history = await list(org, id);
    expect(history.map((entry) => [entry.revision, entry.change])).toEqual([
      [4, "deleted"],
      [3, "toggled"],
      [2, "updated"],
      [1, "created"],
    ]);
    expect(history[1]!.policy).toMatchObject({ id, enabled: false, rules: ["Deny mass storage", "Alert the SOC"] });
    expect(history[3]!.policy).toMatchObject({ id, name: "Block USB", enabled: true, rules: ["Deny mass storage"] });
    expect(history.every((entry) => entry.user_email === org.admin.user.email)).toBe(true);

    const second = await call(revision.GET, "GET", `/api/policies/${id}/revisions/2`, { token: org.viewer.token, params: { id, revision: "2" } });
    expect(await second.json()).toEqual(history[2]);
  });

  it("start with the default policies' creation", async () => {
    const org = await createTestOrg();
    expect((await list(org, "pol-mfa-required")).map((entry) => [entry.revision, entry.change, entry.policy.name])).toEqual([[1, "created", "MFA Required"]]);
  });

  it("restore: an earlier revision becomes the newest, audited, and a deleted policy comes back", async () => {
    const org = await createTestOrg();
    const id = await createCustom(org);
    await call(policy.PUT, "PUT", `/api/policies/${id}`, { token: org.admin.token, params: { id }, body: { name: "Renamed", rules: ["Other"] } });
    const restored = await restoreRevision(org, id, 1);
    expect(restored.status).toBe(200);
    expect(await restored.json()).toMatchObject({ message: "Policy restored", restored_from: 1, policy: { id, name: "Block USB", rules: ["Deny mass storage"] } });
    expect((await list(org, id))[0]).toMatchObject({ revision: 3, change: "restored", restored_from: 1 });
    const [audit] = await listAuditLogs({ orgId: org.orgId, action: "restore_policy", limit: 1 });
    expect(audit).toMatchObject({ success: true, details: 'Restored revision 1 of policy "Block USB"' });

    await call(policy.DELETE, "DELETE", `/api/policies/${id}`, { token: org.admin.token, params: { id } });
    expect((await listDeletedPolicies({ orgId: org.orgId })).map((entry) => entry.policyId)).toEqual([id]);
    expect((await restoreRevision(org, id, 2)).status).toBe(200);
    const back = await call(policy.GET, "GET", `/api/policies/${id}`, { token: org.viewer.token, params: { id } });
    expect(await back.json()).toMatchObject({ id, name: "Renamed", rules: ["Other"] });
    expect(await listDeletedPolicies({ orgId: org.orgId })).toEqual([]);
  });

  it("refuse a viewer, an unknown or malformed revision, and another organization's policy, changing nothing", async () => {
    const org = await createTestOrg();
    const other = await createTestOrg();
    const id = await createCustom(other);
    await call(policy.PUT, "PUT", `/api/policies/${id}`, { token: other.admin.token, params: { id }, body: { name: "Theirs" } });

    expect((await restoreRevision(org, id, 1, org.viewer.token)).status).toBe(403);
    expect((await listAuditLogs({ orgId: org.orgId, action: "restore_policy", limit: 5 }))[0]).toMatchObject({ success: false, details: "Refused: the viewer role cannot do this" });
    expect((await restoreRevision(org, id, 1)).status).toBe(404);
    expect((await call(revisions.GET, "GET", `/api/policies/${id}/revisions`, { token: org.admin.token, params: { id } })).status).toBe(404);
    expect((await restoreRevision(other, id, 9)).status).toBe(404);
    expect((await restoreRevision(other, id, "two")).status).toBe(422);
    expect((await restoreRevision(other, id, 0)).status).toBe(422);
    const theirs = await call(policy.GET, "GET", `/api/policies/${id}`, { token: other.admin.token, params: { id } });
    expect(await theirs.json()).toMatchObject({ name: "Theirs" });
    expect(await list(other, id)).toHaveLength(2);
  });

  it("restore keeps the guards: no second enabled policy of a kind", async () => {
    const org = await createTestOrg();
    const first = await createCustom(org, { name: "Passwords", type: "access", rules: undefined, kind: "password", settings: { minLength: 14 } });
    await call(policy.PATCH, "PATCH", `/api/policies/${first}`, { token: org.admin.token, params: { id: first } });
    await createCustom(org, { name: "Passwords 2", type: "access", rules: undefined, kind: "password", settings: { minLength: 16 } });
    const refused = await restoreRevision(org, first, 1);
    expect(refused.status).toBe(409);
    expect((await list(org, first)).map((entry) => entry.revision)).toEqual([2, 1]);
  });
});
