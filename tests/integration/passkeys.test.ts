/**
 * Passkeys end to end below the browser: registration (the first one an enrolment), the second step after the
 * password, sign-in with a passkey alone, and every refusal a browser would never let a test provoke: a replayed
 * or expired challenge, another session's challenge, no user verification, another origin, a counter that goes
 * backwards, another account's passkey. Chromium's own authenticator is driven in tests/e2e/passkeys.spec.ts.
 */
import { describe, expect, it } from "vitest";
import * as policies from "@/app/api/policies/route";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { claimEnrollmentUpgrade, countUnusedRecoveryCodes } from "@/db/queries/mfa";
import { countPasskeys, listPasskeys } from "@/db/queries/passkeys";
import { findSessionUser, findUserById } from "@/db/queries/users";
import { resetMfa } from "@/lib/auth/mfa";
import { addPasskey, removePasskey, renameOwnPasskey, type FactorSession } from "@/lib/auth/passkeys";
import { actorFor } from "@/lib/auth/principal";
import { attemptPasskeySignIn, attemptSignIn, type MfaState } from "@/lib/auth/sign-in";
import { authenticationOptions, CHALLENGE_LIFETIME_MS, challengeExpiry, issueChallenge, registrationOptions, relyingParty } from "@/lib/auth/webauthn";
import { MFA_POLICY_ID } from "@/lib/policies/defaults";
import { createPolicy, togglePolicy } from "@/lib/policies/service";
import { setUserDisabled } from "@/lib/users/service";
import type { User } from "@/db/schema";
import { call, createTestOrg, sessionCookie, TEST_PASSWORD, type TestOrg } from "../helpers";
import { SoftAuthenticator } from "../soft-authenticator";

let nextAddress = 0;
/** Each attempt from its own address, so that no test runs into the throttle by accident. */
const address = () => `2001:db8:5::${(++nextAddress).toString(16)}`;

function factorSession(user: User, mfa: MfaState = "verified", sessionId = "s1"): FactorSession {
  return { actor: actorFor(user), userId: user.id, sessionId, mfa };
}

/** Registers a new software passkey for the user from the session; returns it with the outcome. */
async function register(user: User, session = factorSession(user), answer: Parameters<SoftAuthenticator["register"]>[1] = {}) {
  const authenticator = new SoftAuthenticator(relyingParty());
  const options = await registrationOptions({ userId: user.id, sessionId: session.sessionId, email: user.email, existing: await listPasskeys({ userId: user.id }) });
  const outcome = await addPasskey(session, { response: authenticator.register(options, answer) as never, name: "Laptop" });
  return { authenticator, outcome, options };
}

const passkeySignIn = async (authenticator: SoftAuthenticator, answer: Parameters<SoftAuthenticator["answer"]>[1] = {}) =>
  attemptPasskeySignIn({ passkey: JSON.stringify(authenticator.answer(await authenticationOptions(), answer)), ip: address(), userAgent: null });

const passwordSignIn = async (user: User, extra: { passkey?: SoftAuthenticator } = {}) =>
  attemptSignIn({
    email: user.email,
    password: TEST_PASSWORD,
    passkey: extra.passkey && JSON.stringify(extra.passkey.answer(await authenticationOptions())),
    ip: address(),
    userAgent: null,
  });

async function auditDetails(org: TestOrg, action: string): Promise<string[]> {
  return (await listAuditLogs({ orgId: org.orgId, action, limit: 20 })).map((row) => row.details ?? "");
}

describe("registering a passkey", () => {
  it("as the first second factor: issues recovery codes, ends every other session, and promotes only this one", async () => {
    const org = await createTestOrg();
    const user = org.viewer.user;
    const { outcome } = await register(user, factorSession(user, "enroll", "enrolling"));
    expect(outcome).toMatchObject({ ok: true, passkey: { name: "Laptop", userId: user.id, orgId: org.orgId, transports: ["internal"], multiDevice: false, backedUp: false, counter: 0 } });
    expect(outcome.ok && outcome.recoveryCodes).toHaveLength(10);
    expect(await findSessionUser({ id: user.id, sessionVersion: user.sessionVersion })).toBeNull();
    expect(await claimEnrollmentUpgrade({ userId: user.id, sessionId: "another" })).toBeNull();
    expect(await claimEnrollmentUpgrade({ userId: user.id, sessionId: "enrolling" })).toBe(user.sessionVersion + 1);
    expect(await auditDetails(org, "passkey_add")).toEqual(['Added passkey "Laptop" as the first second factor, with 10 recovery codes; every other session ended']);
    expect((await listAuditLogs({ orgId: org.orgId, action: "passkey_add", limit: 1 }))[0]!.success).toBe(true);
    expect(await countUnusedRecoveryCodes({ userId: user.id })).toBe(10);
  });

  it("asks the browser for a discoverable credential that verifies the user, and never for one the user has", async () => {
    const { viewer } = await createTestOrg();
    const { options } = await register(viewer.user);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(options.rp).toEqual({ id: "localhost", name: "Palisade" });
    const again = await registrationOptions({ userId: viewer.user.id, sessionId: "s1", email: viewer.user.email, existing: await listPasskeys({ userId: viewer.user.id }) });
    expect(again.excludeCredentials).toHaveLength(1);
    expect(challengeExpiry("too-short", { kind: "sign_in" })).toBeNull();
    expect(challengeExpiry(again.challenge, { kind: "sign_in" })).toBeNull();
    expect(challengeExpiry(again.challenge, { kind: "register", userId: viewer.user.id, sessionId: "s1" })!.getTime()).toBeGreaterThan(Date.now());
  });

  it("as another factor: adds it without recovery codes or ending sessions, from a session that proved a factor", async () => {
    const org = await createTestOrg();
    await register(org.viewer.user);
    const user = (await findUserById({ id: org.viewer.user.id }))!;
    const { outcome } = await register(user);
    expect(outcome).toMatchObject({ ok: true, recoveryCodes: null });
    expect(await findSessionUser({ id: user.id, sessionVersion: user.sessionVersion })).not.toBeNull();
    expect(await countPasskeys({ userId: user.id })).toBe(2);
  });

  it("refuses a session that proved only the password when the account already has a factor", async () => {
    const org = await createTestOrg();
    await register(org.viewer.user);
    const { outcome } = await register(org.viewer.user, factorSession(org.viewer.user, "password"));
    expect(outcome).toEqual({ ok: false, reason: "step_up_required" });
    expect(await countPasskeys({ userId: org.viewer.user.id })).toBe(1);
  });

  it("refuses an answer without user verification, from another origin, or to another session's challenge", async () => {
    const { viewer } = await createTestOrg();
    const user = viewer.user;
    expect((await register(user, factorSession(user), { userVerified: false })).outcome).toEqual({ ok: false, reason: "invalid" });
    expect((await register(user, factorSession(user), { origin: "https://evil.example" })).outcome).toEqual({ ok: false, reason: "invalid" });

    const authenticator = new SoftAuthenticator(relyingParty());
    const theirs = await registrationOptions({ userId: user.id, sessionId: "attacker", email: user.email, existing: [] });
    const outcome = await addPasskey(factorSession(user, "verified", "victim"), { response: authenticator.register(theirs) as never, name: "X" });
    expect(outcome).toEqual({ ok: false, reason: "invalid" });
    expect(await countPasskeys({ userId: user.id })).toBe(0);
  });

  it("takes each challenge once, and not after it expired", async () => {
    const { viewer } = await createTestOrg();
    const user = viewer.user;
    const session = factorSession(user);
    const options = await registrationOptions({ userId: user.id, sessionId: "s1", email: user.email, existing: [] });
    const first = new SoftAuthenticator(relyingParty());
    expect((await addPasskey(session, { response: first.register(options) as never, name: "A" })).ok).toBe(true);
    const second = new SoftAuthenticator(relyingParty());
    expect(await addPasskey(session, { response: second.register(options) as never, name: "B" })).toEqual({ ok: false, reason: "invalid" });

    const expired = { ...options, challenge: issueChallenge({ kind: "register", userId: user.id, sessionId: "s1" }, Date.now() - CHALLENGE_LIFETIME_MS - 1) };
    expect(await addPasskey(session, { response: second.register(expired) as never, name: "C" })).toEqual({ ok: false, reason: "invalid" });
    expect(await countPasskeys({ userId: user.id })).toBe(1);
  });

  it("refuses a credential registered already, to this account or another", async () => {
    const org = await createTestOrg();
    const { authenticator } = await register(org.viewer.user);
    const options = await registrationOptions({ userId: org.admin.user.id, sessionId: "s1", email: org.admin.user.email, existing: [] });
    const outcome = await addPasskey(factorSession(org.admin.user), { response: authenticator.register(options) as never, name: "Copy" });
    expect(outcome).toEqual({ ok: false, reason: "already_registered" });
  });
});

describe("signing in with a passkey", () => {
  it("after the password: asks for it, accepts it, and audits both methods", async () => {
    const org = await createTestOrg();
    const { authenticator } = await register(org.viewer.user);
    const user = (await findUserById({ id: org.viewer.user.id }))!;
    expect(await passwordSignIn(user)).toEqual({ ok: false, reason: "mfa_required", factors: ["passkey"] });
    expect(await passwordSignIn(user, { passkey: authenticator })).toMatchObject({ ok: true, mfa: "verified" });
    expect((await auditDetails(org, "login"))[0]).toBe("Signed in with password and passkey");
  });

  it("after the password, refuses another account's passkey", async () => {
    const org = await createTestOrg();
    await register(org.viewer.user);
    const { authenticator: admins } = await register(org.admin.user);
    expect(await passwordSignIn(org.viewer.user, { passkey: admins })).toEqual({ ok: false, reason: "invalid_passkey" });
    expect((await auditDetails(org, "login_failed"))[0]).toBe("Refused: not a passkey of this account");
  });

  it("alone: counts as multi-factor, names the account, and records the use", async () => {
    const org = await createTestOrg();
    const { authenticator } = await register(org.viewer.user);
    const result = await passkeySignIn(authenticator);
    expect(result).toMatchObject({ ok: true, mfa: "verified", user: { id: org.viewer.user.id } });
    expect((await auditDetails(org, "login"))[0]).toBe("Signed in with passkey");
    const [stored] = await listPasskeys({ userId: org.viewer.user.id });
    expect(stored).toMatchObject({ counter: 1 });
    expect(stored!.lastUsedAt).not.toBeNull();
  });

  it("refuses a replayed answer: each challenge signs in once", async () => {
    const org = await createTestOrg();
    const { authenticator } = await register(org.viewer.user);
    const answer = JSON.stringify(authenticator.answer(await authenticationOptions()));
    const attempt = () => attemptPasskeySignIn({ passkey: answer, ip: address(), userAgent: null });
    const results = await Promise.all([attempt(), attempt()]);
    expect(results.map((result) => (result.ok ? "ok" : result.reason)).sort()).toEqual(["invalid_passkey", "ok"]);
    expect(await attempt()).toEqual({ ok: false, reason: "invalid_passkey" });
  });

  it("refuses an answer without user verification, from another origin, or to an expired challenge", async () => {
    const org = await createTestOrg();
    const { authenticator } = await register(org.viewer.user);
    expect(await passkeySignIn(authenticator, { userVerified: false })).toEqual({ ok: false, reason: "invalid_passkey" });
    expect(await passkeySignIn(authenticator, { origin: "https://evil.example" })).toEqual({ ok: false, reason: "invalid_passkey" });
    const stale = { ...(await authenticationOptions()), challenge: issueChallenge({ kind: "sign_in" }, Date.now() - CHALLENGE_LIFETIME_MS - 1) };
    expect(await attemptPasskeySignIn({ passkey: JSON.stringify(authenticator.answer(stale)), ip: address(), userAgent: null })).toEqual({ ok: false, reason: "invalid_passkey" });
    // A registration challenge is no sign-in challenge.
    const registration = { ...(await authenticationOptions()), challenge: issueChallenge({ kind: "register", userId: org.viewer.user.id, sessionId: "s1" }) };
    expect(await attemptPasskeySignIn({ passkey: JSON.stringify(authenticator.answer(registration)), ip: address(), userAgent: null })).toEqual({ ok: false, reason: "invalid_passkey" });
    expect(await auditDetails(org, "login")).toEqual([]);
  });

  it("refuses a credential whose signature counter goes backwards, and audits it as a possible clone", async () => {
    const org = await createTestOrg();
    const { authenticator } = await register(org.viewer.user);
    expect((await passkeySignIn(authenticator, { counter: 5 })).ok).toBe(true);
    expect(await passkeySignIn(authenticator, { counter: 5 })).toEqual({ ok: false, reason: "invalid_passkey" });
    expect(await passkeySignIn(authenticator, { counter: 3 })).toEqual({ ok: false, reason: "invalid_passkey" });
    expect((await auditDetails(org, "login_failed"))[0]).toBe('Passkey "Laptop" refused: its signature counter went backwards (3 after 5), so the credential may have been cloned');
    expect((await passkeySignIn(authenticator, { counter: 6 })).ok).toBe(true);
  });

  it("accepts an authenticator that keeps no counter (always 0), each challenge once", async () => {
    const org = await createTestOrg();
    const { authenticator } = await register(org.viewer.user);
    expect((await passkeySignIn(authenticator, { counter: 0 })).ok).toBe(true);
    expect((await passkeySignIn(authenticator, { counter: 0 })).ok).toBe(true);
  });

  it("applies the account's status and the IP allowlist, and refuses an unknown credential without an audit row", async () => {
    const org = await createTestOrg();
    const { authenticator } = await register(org.viewer.user);
    await createPolicy({
      actor: actorFor(org.admin.user),
      input: { id: "pol-office", name: "Office", description: "", type: "network", rules: ["Office only"], enabled: true, kind: "ip_allowlist", settings: { cidrs: ["192.0.2.0/24"], appliesTo: "console" } },
    });
    expect(await passkeySignIn(authenticator)).toEqual({ ok: false, reason: "address_not_allowed" });
    const stranger = new SoftAuthenticator(relyingParty());
    expect(await attemptPasskeySignIn({ passkey: JSON.stringify(stranger.answer(await authenticationOptions())), ip: address(), userAgent: null })).toEqual({
      ok: false,
      reason: "invalid_passkey",
    });
    expect(await attemptPasskeySignIn({ passkey: "not json", ip: address(), userAgent: null })).toEqual({ ok: false, reason: "invalid_passkey" });
    expect(await auditDetails(org, "login_failed")).toEqual([expect.stringMatching(/^Correct passkey; refused: .* is not on the IP allowlist$/)]);

    await togglePolicy({ actor: actorFor(org.admin.user), id: "pol-office", enabled: false });
    await setUserDisabled({ actor: actorFor(org.admin.user), userId: org.viewer.user.id, disabled: true });
    expect(await passkeySignIn(authenticator)).toEqual({ ok: false, reason: "invalid_credentials" });
    expect((await auditDetails(org, "login_failed"))[0]).toBe("Account disabled");
  });

  it("a session that proved only the password is not enough for a user with a passkey while MFA is required", async () => {
    const org = await createTestOrg();
    await register(org.viewer.user);
    const user = (await findUserById({ id: org.viewer.user.id }))!;
    expect((await call(policies.GET, "GET", "/api/policies", { headers: { cookie: await sessionCookie(user, { mfa: "password" }) } })).status).toBe(401);
    expect((await call(policies.GET, "GET", "/api/policies", { headers: { cookie: await sessionCookie(user, { mfa: "verified" }) } })).status).toBe(200);
  });
});

describe("managing passkeys", () => {
  it("keeps the last second factor while MFA is required, and removes it, with the recovery codes, once MFA is off", async () => {
    const org = await createTestOrg();
    const { outcome } = await register(org.viewer.user);
    const id = outcome.ok ? outcome.passkey.id : "";
    expect(await removePasskey(factorSession(org.viewer.user), { id })).toEqual({ ok: false, reason: "last_factor" });
    expect(await countPasskeys({ userId: org.viewer.user.id })).toBe(1);

    await togglePolicy({ actor: actorFor(org.admin.user), id: MFA_POLICY_ID, enabled: false });
    expect(await removePasskey(factorSession(org.viewer.user, "password"), { id })).toEqual({ ok: false, reason: "step_up_required" });
    expect(await countUnusedRecoveryCodes({ userId: org.viewer.user.id })).toBe(10);
    expect(await removePasskey(factorSession(org.viewer.user), { id })).toEqual({ ok: true });
    expect(await countPasskeys({ userId: org.viewer.user.id })).toBe(0);
    expect(await countUnusedRecoveryCodes({ userId: org.viewer.user.id })).toBe(0);
    expect((await listAuditLogs({ orgId: org.orgId, action: "passkey_remove", limit: 1 }))[0]!.success).toBe(true);
    expect(await auditDetails(org, "passkey_remove")).toEqual(['Removed passkey "Laptop"; no second factor is left, and the recovery codes were removed']);
  });

  it("removes one of several, and never another user's: theirs answers not found and stays", async () => {
    const org = await createTestOrg();
    const other = await createTestOrg();
    const first = await register(org.viewer.user);
    await register((await findUserById({ id: org.viewer.user.id }))!);
    const { outcome: theirs } = await register(other.viewer.user);
    const theirId = theirs.ok ? theirs.passkey.id : "";
    expect(await removePasskey(factorSession(org.viewer.user), { id: theirId })).toEqual({ ok: false, reason: "not_found" });
    expect(await renameOwnPasskey(factorSession(org.viewer.user), { id: theirId, name: "Mine now" })).toBe(false);
    expect(await listPasskeys({ userId: other.viewer.user.id })).toMatchObject([{ id: theirId, name: "Laptop" }]);

    expect(await removePasskey(factorSession(org.viewer.user), { id: first.outcome.ok ? first.outcome.passkey.id : "" })).toEqual({ ok: true });
    expect(await countPasskeys({ userId: org.viewer.user.id })).toBe(1);
    // A factor is left: so are the recovery codes.
    expect(await countUnusedRecoveryCodes({ userId: org.viewer.user.id })).toBe(10);
  });

  it("renames a passkey, audited", async () => {
    const org = await createTestOrg();
    const { outcome } = await register(org.viewer.user);
    expect(await renameOwnPasskey(factorSession(org.viewer.user), { id: outcome.ok ? outcome.passkey.id : "", name: "Work laptop" })).toBe(true);
    expect(await listPasskeys({ userId: org.viewer.user.id })).toMatchObject([{ name: "Work laptop" }]);
    expect(await auditDetails(org, "passkey_rename")).toEqual(['Renamed a passkey to "Work laptop"']);
    expect((await listAuditLogs({ orgId: org.orgId, action: "passkey_rename", limit: 1 }))[0]!.success).toBe(true);
  });

  it("an admin's MFA reset removes the user's passkeys too, and they no longer sign in", async () => {
    const org = await createTestOrg();
    const { authenticator } = await register(org.viewer.user);
    expect(await resetMfa({ actor: actorFor(org.admin.user), userId: org.viewer.user.id })).toBe(true);
    expect(await countPasskeys({ userId: org.viewer.user.id })).toBe(0);
    expect(await passkeySignIn(authenticator)).toEqual({ ok: false, reason: "invalid_passkey" });
    expect((await auditDetails(org, "mfa_reset"))[0]).toMatch(/\(authenticator app, recovery codes and 1 passkey\(s\)\)/);
  });
});
