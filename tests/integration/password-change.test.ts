import { describe, expect, it } from "vitest";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { findSessionUser, findUserById } from "@/db/queries/users";
import { verifyPassword } from "@/lib/auth/password";
import { changeOwnPassword } from "@/lib/auth/password-change";
import { attemptSignIn } from "@/lib/auth/sign-in";
import { actorFor } from "@/lib/auth/principal";
import * as policies from "@/app/api/policies/route";
import { call, createTestOrg, TEST_PASSWORD } from "../helpers";

const NEW_PASSWORD = "a different, longer passphrase";

// Failures are throttled per address too: each test acts from an address of its own.
let lastAddress = 0;

async function setUp() {
  const org = await createTestOrg();
  const user = org.viewer.user;
  return { org, user, actor: { ...actorFor(user), ip: `198.51.100.${++lastAddress}` } };
}

describe("changing one's own password", () => {
  it("sets the new password, ends every session of the user, revokes their API tokens, and audits it", async () => {
    const { org, user, actor } = await setUp();
    expect((await call(policies.GET, "GET", "/api/policies", { token: org.viewer.token })).status).toBe(200);
    expect(await changeOwnPassword({ user, actor, currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })).toEqual({ ok: true, revokedTokens: 1 });
    expect((await call(policies.GET, "GET", "/api/policies", { token: org.viewer.token })).status).toBe(401);

    const after = (await findUserById({ id: user.id }))!;
    expect(await verifyPassword(after.passwordHash, NEW_PASSWORD)).toBe(true);
    expect(await verifyPassword(after.passwordHash, TEST_PASSWORD)).toBe(false);
    expect(await findSessionUser({ id: user.id, sessionVersion: user.sessionVersion })).toBeNull();
    expect(await attemptSignIn({ email: user.email, password: TEST_PASSWORD, ip: "203.0.113.9", userAgent: null })).toMatchObject({ ok: false });
    const [entry] = await listAuditLogs({ orgId: org.orgId, action: "change_password", limit: 10 });
    expect(entry).toMatchObject({ userEmail: user.email, resource: `user:${user.id}`, success: true });
    expect(JSON.stringify(entry)).not.toContain(NEW_PASSWORD);
  });

  it("refuses a wrong current password or an unchanged one, changing nothing, and audits the wrong one", async () => {
    const { org, user, actor } = await setUp();
    expect(await changeOwnPassword({ user, actor, currentPassword: "not my password at all", newPassword: NEW_PASSWORD })).toEqual({ ok: false, reason: "wrong_password" });
    expect(await changeOwnPassword({ user, actor, currentPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD })).toEqual({ ok: false, reason: "same_password" });

    const after = (await findUserById({ id: user.id }))!;
    expect(after.sessionVersion).toBe(user.sessionVersion);
    expect(await verifyPassword(after.passwordHash, TEST_PASSWORD)).toBe(true);
    expect(await listAuditLogs({ orgId: org.orgId, action: "change_password", limit: 10 })).toMatchObject([{ success: false, details: "Refused: wrong current password" }]);
  });

  it("counts wrong current passwords with failed sign-ins: after 10 from one address, even the right one is refused there, not elsewhere", async () => {
    const { user, actor } = await setUp();
    for (let i = 0; i < 10; i++) {
      expect(await changeOwnPassword({ user, actor, currentPassword: `guess number ${i}`, newPassword: NEW_PASSWORD })).toMatchObject({ reason: "wrong_password" });
    }
    expect(await changeOwnPassword({ user, actor, currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })).toMatchObject({ ok: false, reason: "rate_limited" });
    expect(await attemptSignIn({ email: user.email, password: TEST_PASSWORD, ip: actor.ip, userAgent: null })).toMatchObject({ ok: false, reason: "rate_limited" });
    // The owner is not locked out: from another address the right password still signs in.
    expect(await attemptSignIn({ email: user.email, password: TEST_PASSWORD, ip: "203.0.113.10", userAgent: null })).toMatchObject({ ok: true });
  });
});
