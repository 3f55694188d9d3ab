import { describe, expect, it } from "vitest";
import * as item from "@/app/api/policies/[id]/route";
import * as collection from "@/app/api/policies/route";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { endAllSessions, findSessionUser, findUserById } from "@/db/queries/users";
import { setUserDisabled, updateUserRole } from "@/lib/users/service";
import type { User } from "@/db/schema";
import { actorFor } from "@/lib/auth/principal";
import { ApiError } from "@/lib/errors";
import { call, createTestOrg, createTestUser } from "../helpers";

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

async function fresh(user: User): Promise<User> {
  return (await findUserById({ id: user.id }))!;
}

describe("changing a user's role", () => {
  it("changes the role at once for sessions and tokens, audited with before and after", async () => {
    const org = await createTestOrg();
    const promoted = await updateUserRole({ actor: actorFor(org.admin.user), userId: org.viewer.user.id, role: "admin" });
    expect(promoted.role).toBe("admin");
    const write = await call(collection.POST, "POST", "/api/policies", { token: org.viewer.token, body: { name: "By the new admin", type: "access", rules: ["x"] } });
    expect(write.status).toBe(201);

    await updateUserRole({ actor: actorFor(org.admin.user), userId: org.viewer.user.id, role: "viewer" });
    const refused = await call(collection.POST, "POST", "/api/policies", { token: org.viewer.token, body: { name: "Again", type: "access", rules: ["x"] } });
    expect(refused.status).toBe(403);

    const rows = await listAuditLogs({ orgId: org.orgId, action: "update_user_role", limit: 10 });
    expect(rows.map((row) => row.details)).toEqual([
      `Changed the role of ${org.viewer.user.email} from admin to viewer`,
      `Changed the role of ${org.viewer.user.email} from viewer to admin`,
    ]);
    expect(rows[0]).toMatchObject({ success: true, resource: `user:${org.viewer.user.id}`, before: { role: "admin" }, after: { role: "viewer" } });
    expect(JSON.stringify(rows[0]!.after)).not.toContain("passwordHash");
  });

  it("refuses an admin demoting themselves, and audits the refusal", async () => {
    const org = await createTestOrg();
    await createTestUser("admin", { id: org.orgId });
    const error = await refusal(updateUserRole({ actor: actorFor(org.admin.user), userId: org.admin.user.id, role: "viewer" }));
    expect(error.code).toBe("conflict");
    expect(error.message).toMatch(/your own admin role/);
    expect((await fresh(org.admin.user)).role).toBe("admin");
    const [audited] = await listAuditLogs({ orgId: org.orgId, action: "update_user_role", limit: 1 });
    expect(audited).toMatchObject({ success: false, resource: `user:${org.admin.user.id}` });
  });

  it("never removes the organization's last active admin", async () => {
    const org = await createTestOrg();
    // The rule holds whoever asks: here a viewer's actor, which the console would refuse earlier anyway.
    const error = await refusal(updateUserRole({ actor: actorFor(org.viewer.user), userId: org.admin.user.id, role: "viewer" }));
    expect(error.message).toMatch(/last active admin/);
    const disabling = await refusal(setUserDisabled({ actor: actorFor(org.viewer.user), userId: org.admin.user.id, disabled: true }));
    expect(disabling.message).toMatch(/last active admin/);
    expect(await fresh(org.admin.user)).toMatchObject({ role: "admin", disabledAt: null });
  });

  it("a disabled admin does not count: the remaining active admin cannot be removed", async () => {
    const org = await createTestOrg();
    const second = await createTestUser("admin", { id: org.orgId });
    await setUserDisabled({ actor: actorFor(org.admin.user), userId: second.user.id, disabled: true });
    const error = await refusal(updateUserRole({ actor: actorFor(second.user), userId: org.admin.user.id, role: "viewer" }));
    expect(error.message).toMatch(/last active admin/);
  });

  it("two admins demoting each other at once leave exactly one admin", async () => {
    const org = await createTestOrg();
    const second = await createTestUser("admin", { id: org.orgId });
    const outcomes = await Promise.allSettled([
      updateUserRole({ actor: actorFor(org.admin.user), userId: second.user.id, role: "viewer" }),
      updateUserRole({ actor: actorFor(second.user), userId: org.admin.user.id, role: "viewer" }),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(["fulfilled", "rejected"]);
    const roles = [(await fresh(org.admin.user)).role, (await fresh(second.user)).role].sort();
    expect(roles).toEqual(["admin", "viewer"]);
  });

  it("setting the current role changes nothing and writes no audit row", async () => {
    const org = await createTestOrg();
    await updateUserRole({ actor: actorFor(org.admin.user), userId: org.viewer.user.id, role: "viewer" });
    expect(await listAuditLogs({ orgId: org.orgId, action: "update_user_role", limit: 10 })).toEqual([]);
  });
});

describe("disabling a user", () => {
  it("ends every session at once, refuses their tokens, and re-enabling does not revive old sessions", async () => {
    const org = await createTestOrg();
    const before = await fresh(org.viewer.user);
    expect(await findSessionUser({ id: before.id, sessionVersion: before.sessionVersion })).not.toBeNull();

    const disabled = await setUserDisabled({ actor: actorFor(org.admin.user), userId: before.id, disabled: true });
    expect(disabled.disabledAt).not.toBeNull();
    expect(disabled.sessionVersion).toBe(before.sessionVersion + 1);
    expect(await findSessionUser({ id: before.id, sessionVersion: before.sessionVersion })).toBeNull();
    expect((await call(collection.GET, "GET", "/api/policies", { token: org.viewer.token })).status).toBe(401);

    const enabled = await setUserDisabled({ actor: actorFor(org.admin.user), userId: before.id, disabled: false });
    expect(enabled.disabledAt).toBeNull();
    expect(await findSessionUser({ id: before.id, sessionVersion: before.sessionVersion })).toBeNull();
    expect(await findSessionUser({ id: before.id, sessionVersion: enabled.sessionVersion })).not.toBeNull();
    expect((await call(collection.GET, "GET", "/api/policies", { token: org.viewer.token })).status).toBe(200);

    const rows = await listAuditLogs({ orgId: org.orgId, resource: `user:${before.id}`, limit: 10 });
    expect(rows.map((row) => [row.action, row.success])).toEqual([
      ["enable_user", true],
      ["disable_user", true],
      ["create_user", true],
    ]);
    expect(rows[1]).toMatchObject({ before: { disabledAt: null }, after: { disabledAt: expect.any(String) } });
  });

  it("refuses an admin disabling themselves", async () => {
    const org = await createTestOrg();
    await createTestUser("admin", { id: org.orgId });
    const error = await refusal(setUserDisabled({ actor: actorFor(org.admin.user), userId: org.admin.user.id, disabled: true }));
    expect(error.message).toMatch(/your own account/);
    expect((await fresh(org.admin.user)).disabledAt).toBeNull();
  });
});

describe("organization scoping", () => {
  it("answers another organization's user as not found, changes nothing, and audits the attempt in the actor's organization", async () => {
    const mine = await createTestOrg();
    const theirs = await createTestOrg();
    const actor = actorFor(mine.admin.user);
    for (const attempt of [
      () => updateUserRole({ actor, userId: theirs.viewer.user.id, role: "admin" }),
      () => updateUserRole({ actor, userId: theirs.admin.user.id, role: "viewer" }),
      () => setUserDisabled({ actor, userId: theirs.viewer.user.id, disabled: true }),
    ]) {
      const error = await refusal(attempt());
      expect(error.code).toBe("not_found");
      expect(error.message).toBe("User not found");
    }
    expect(await fresh(theirs.viewer.user)).toMatchObject({ role: "viewer", disabledAt: null });
    expect(await fresh(theirs.admin.user)).toMatchObject({ role: "admin" });
    const failures = await listAuditLogs({ orgId: mine.orgId, success: false, limit: 10 });
    expect(failures).toHaveLength(3);
    expect(await listAuditLogs({ orgId: theirs.orgId, success: false, limit: 10 })).toEqual([]);
  });
});

describe("signing out everywhere", () => {
  it("makes every existing session of the user stale", async () => {
    const org = await createTestOrg();
    const before = await fresh(org.admin.user);
    await endAllSessions({ userId: before.id });
    expect(await findSessionUser({ id: before.id, sessionVersion: before.sessionVersion })).toBeNull();
    expect(await findSessionUser({ id: before.id, sessionVersion: before.sessionVersion + 1 })).not.toBeNull();
  });
});

describe("session checks", () => {
  it("read the MFA requirement from the user's own organization only", async () => {
    const relaxed = await createTestOrg();
    await call(item.PATCH, "PATCH", "/api/policies/pol-mfa-required", { token: relaxed.admin.token, params: { id: "pol-mfa-required" } });
    const strict = await createTestOrg();
    // Not seeded yet: MFA is required, as the defaults start enabled.
    expect((await findSessionUser({ id: strict.admin.user.id, sessionVersion: 0 }))?.mfaRequired).toBe(true);
    await call(collection.GET, "GET", "/api/policies", { token: strict.admin.token });
    expect((await findSessionUser({ id: strict.admin.user.id, sessionVersion: 0 }))?.mfaRequired).toBe(true);
    expect((await findSessionUser({ id: relaxed.admin.user.id, sessionVersion: 0 }))?.mfaRequired).toBe(false);
  });
});
