import { sql } from "drizzle-orm";
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import * as policies from "@/app/api/policies/route";
import { GET as authGET, POST as authPOST } from "@/auth";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { claimEnrollmentUpgrade, findPendingTotpSecret } from "@/db/queries/mfa";
import { completeTotpEnrollment, pendingTotpSecret, resetMfa } from "@/lib/auth/mfa";
import { endAllSessions, findSessionUser, findUserById } from "@/db/queries/users";
import { getDb } from "@/db";
import { encryptSecret } from "@/lib/auth/crypto";
import { actorFor } from "@/lib/auth/principal";
import { SESSION_ABSOLUTE_LIFETIME_SECONDS } from "@/lib/auth/authjs";
import { currentTotp, newTotpSecret } from "@/lib/auth/totp";
import { attemptSignIn } from "@/lib/auth/sign-in";
import { call, createTestOrg, sessionCookie, TEST_PASSWORD } from "../helpers";

const BASE = "http://localhost:3000";

function authRequest(path: string, cookie: string, init: { method?: string; body?: string; contentType?: string } = {}) {
  const headers = new Headers({ cookie, host: "localhost:3000" });
  if (init.contentType) headers.set("content-type", init.contentType);
  return new NextRequest(`${BASE}${path}`, { method: init.method ?? "GET", headers, body: init.body });
}

/** Whether the response hands the browser a (non-empty) session cookie. */
const setsSession = (response: Response) => response.headers.getSetCookie().some((cookie) => /palisade\.session=[^;]+/.test(cookie));

async function csrf(cookie: string): Promise<{ token: string; cookie: string }> {
  const response = await authGET(authRequest("/api/auth/csrf", cookie));
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  const set = response.headers.getSetCookie().map((line) => line.split(";")[0]!).join("; ");
  return { token: csrfToken, cookie: [cookie, set].filter(Boolean).join("; ") };
}

describe("MFA enrolment", () => {
  it("gives each session its own pending secret, so a session with only the password never sees the one the user enrols", async () => {
    const { viewer } = await createTestOrg();
    const userId = viewer.user.id;
    const attacker = await pendingTotpSecret({ userId, sessionId: "attacker", sealedCandidate: encryptSecret(newTotpSecret()) });
    const victim = await pendingTotpSecret({ userId, sessionId: "victim", sealedCandidate: encryptSecret(newTotpSecret()) });
    expect(attacker).not.toBeNull();
    expect(victim).not.toBe(attacker);
    // A reload shows the same secret again.
    expect(await pendingTotpSecret({ userId, sessionId: "victim", sealedCandidate: encryptSecret(newTotpSecret()) })).toBe(victim);
  });

  it("ends every other session on completion, and upgrades only the completing session, once", async () => {
    const { viewer } = await createTestOrg();
    const user = viewer.user;
    await pendingTotpSecret({ userId: user.id, sessionId: "attacker", sealedCandidate: encryptSecret(newTotpSecret()) });
    const sealed = (await pendingTotpSecret({ userId: user.id, sessionId: "victim", sealedCandidate: encryptSecret(newTotpSecret()) }))!;
    const outcome = await completeTotpEnrollment({ mfa: "enroll", actor: actorFor(user), userId: user.id, sessionId: "victim", sealedSecret: sealed, step: 1, recoveryCodeHashes: ["h1"] });
    expect(outcome).toBe("enrolled");

    expect(await findSessionUser({ id: user.id, sessionVersion: user.sessionVersion })).toBeNull();
    expect(await findPendingTotpSecret({ userId: user.id, sessionId: "attacker" })).toBeNull();
    expect(await claimEnrollmentUpgrade({ userId: user.id, sessionId: "attacker" })).toBeNull();
    expect(await claimEnrollmentUpgrade({ userId: user.id, sessionId: "victim" })).toBe(user.sessionVersion + 1);
    expect(await claimEnrollmentUpgrade({ userId: user.id, sessionId: "victim" })).toBeNull();
    expect((await findUserById({ id: user.id }))!.totpSecret).toBe(sealed);
  });

  it("accepts a TOTP code once, even when the same code is sent twice at once", async () => {
    const { viewer } = await createTestOrg();
    const secret = newTotpSecret();
    const sealed = (await pendingTotpSecret({ userId: viewer.user.id, sessionId: "s", sealedCandidate: encryptSecret(secret) }))!;
    await completeTotpEnrollment({ mfa: "enroll", actor: actorFor(viewer.user), userId: viewer.user.id, sessionId: "s", sealedSecret: sealed, step: 0, recoveryCodeHashes: [] });
    const code = currentTotp(secret);
    const attempt = () => attemptSignIn({ email: viewer.user.email, password: TEST_PASSWORD, code, ip: "198.51.100.250", userAgent: null });
    const results = await Promise.all([attempt(), attempt()]);
    expect(results.map((result) => (result.ok ? "ok" : result.reason)).sort()).toEqual(["invalid_code", "ok"]);
    expect(await attempt()).toMatchObject({ ok: false, reason: "invalid_code" });
  });

  it("an MFA reset ends the user's sessions and revokes their API tokens", async () => {
    const { admin, viewer } = await createTestOrg();
    const cookie = await sessionCookie(viewer.user);
    expect(await resetMfa({ actor: actorFor(admin.user), userId: viewer.user.id })).toBe(true);
    expect((await call(policies.GET, "GET", "/api/policies", { token: viewer.token })).status).toBe(401);
    expect((await call(policies.GET, "GET", "/api/policies", { headers: { cookie } })).status).toBe(401);
  });

  it("refuses to complete with a secret other than the session's pending one", async () => {
    const { viewer } = await createTestOrg();
    const user = viewer.user;
    await pendingTotpSecret({ userId: user.id, sessionId: "s1", sealedCandidate: encryptSecret(newTotpSecret()) });
    const outcome = await completeTotpEnrollment({ mfa: "enroll", actor: actorFor(user), userId: user.id, sessionId: "s1", sealedSecret: encryptSecret(newTotpSecret()), step: 1, recoveryCodeHashes: [] });
    expect(outcome).toBe("expired");
    expect((await findUserById({ id: user.id }))!.totpEnabledAt).toBeNull();
  });
});

describe("Auth.js's session endpoints and an ended session", () => {
  it("an update request promotes nothing: a session still enrolling stays so, and an ended one is cleared", async () => {
    const { viewer } = await createTestOrg();
    const enrolling = await sessionCookie(viewer.user, { mfa: "enroll" });
    // The account now has TOTP (enrolled by another session): that alone must not promote this one.
    await getDb().execute(sql`update users set totp_enabled_at = now() where id = ${viewer.user.id}`);
    const { token, cookie } = await csrf(enrolling);
    const updated = await authPOST(authRequest("/api/auth/session", cookie, { method: "POST", contentType: "application/json", body: JSON.stringify({ csrfToken: token, data: { mfa: "verified", sv: 99 } }) }));
    expect(((await updated.json()) as { user?: { mfa?: string } }).user?.mfa).toBe("enroll");

    await endAllSessions({ userId: viewer.user.id });
    const again = await csrf(enrolling);
    const ended = await authPOST(authRequest("/api/auth/session", again.cookie, { method: "POST", contentType: "application/json", body: JSON.stringify({ csrfToken: again.token, data: {} }) }));
    expect(await ended.json()).toBeNull();
    expect(setsSession(ended)).toBe(false);
  });

  it("GET /api/auth/session refreshes a live session, but neither answers nor re-issues an ended one", async () => {
    const { viewer } = await createTestOrg();
    const cookie = await sessionCookie(viewer.user);
    const live = await authGET(authRequest("/api/auth/session", cookie));
    expect(((await live.json()) as { user: { email: string } }).user.email).toBe(viewer.user.email);
    expect(setsSession(live)).toBe(true);

    await endAllSessions({ userId: viewer.user.id });
    const ended = await authGET(authRequest("/api/auth/session", cookie));
    expect(await ended.json()).toBeNull();
    expect(setsSession(ended)).toBe(false);
  });

  it("a copy of an ended session cannot sign the user out again, nor write a logout row", async () => {
    const { orgId, viewer } = await createTestOrg();
    const old = await sessionCookie(viewer.user);
    await endAllSessions({ userId: viewer.user.id });
    const current = (await findUserById({ id: viewer.user.id }))!;
    const fresh = await sessionCookie(current);

    const { token, cookie } = await csrf(old);
    await authPOST(authRequest("/api/auth/signout", cookie, { method: "POST", contentType: "application/x-www-form-urlencoded", body: `csrfToken=${encodeURIComponent(token)}` }));
    expect((await call(policies.GET, "GET", "/api/policies", { headers: { cookie: fresh } })).status).toBe(200);
    expect(await listAuditLogs({ orgId, action: "logout", limit: 10 })).toEqual([]);

    // The live session signing out does end everything, and is audited.
    const live = await csrf(fresh);
    await authPOST(authRequest("/api/auth/signout", live.cookie, { method: "POST", contentType: "application/x-www-form-urlencoded", body: `csrfToken=${encodeURIComponent(live.token)}` }));
    expect((await call(policies.GET, "GET", "/api/policies", { headers: { cookie: fresh } })).status).toBe(401);
    expect(await listAuditLogs({ orgId, action: "logout", limit: 10 })).toHaveLength(1);
  });

  it("ends a session at its absolute lifetime, however recently it was refreshed", async () => {
    const { viewer } = await createTestOrg();
    const signedInAt = Math.floor(Date.now() / 1000) - SESSION_ABSOLUTE_LIFETIME_SECONDS - 1;
    const expired = await sessionCookie(viewer.user, { at: signedInAt });
    expect((await call(policies.GET, "GET", "/api/policies", { headers: { cookie: expired } })).status).toBe(401);
    const refreshed = await authGET(authRequest("/api/auth/session", expired));
    expect(await refreshed.json()).toBeNull();
    expect(setsSession(refreshed)).toBe(false);
    const recent = await sessionCookie(viewer.user, { at: signedInAt + 120 });
    expect((await call(policies.GET, "GET", "/api/policies", { headers: { cookie: recent } })).status).toBe(200);
  });
});
