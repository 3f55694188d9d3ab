/**
 * Who gets in, and with what: the sign-in decision step by step, what a console session in each state may do on
 * the API, which cross-site requests a session is refused, and how fast a revoked agent is shut out. Written to
 * kill the mutants StrykerJS found surviving in lib/auth (docs/testing.md).
 */
import { describe, expect, it } from "vitest";
import * as policies from "@/app/api/policies/route";
import * as heartbeat from "@/app/api/agents/heartbeat/route";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { findUserById } from "@/db/queries/users";
import { authenticateAgent } from "@/lib/auth/principal";
import { completeTotpEnrollment, pendingTotpSecret, resetMfa } from "@/lib/auth/mfa";
import { env } from "@/lib/env";
import { encryptSecret } from "@/lib/auth/crypto";
import { SESSION_ABSOLUTE_LIFETIME_SECONDS } from "@/lib/auth/authjs";
import { actorFor } from "@/lib/auth/principal";
import { attemptSignIn, type SignInAttempt } from "@/lib/auth/sign-in";
import { currentTotp, hashRecoveryCode, newTotpSecret } from "@/lib/auth/totp";
import { revokeAgent } from "@/lib/agents/service";
import { setUserDisabled } from "@/lib/users/service";
import { deletePolicy, togglePolicy } from "@/lib/policies/service";
import { MFA_POLICY_ID } from "@/lib/policies/defaults";
import { randomHex } from "@/lib/ids";
import type { User } from "@/db/schema";
import { enrollAgent } from "../agent-helpers";
import { call, createTestOrg, sessionCookie, TEST_PASSWORD, type TestOrg } from "../helpers";

const RECOVERY_CODE = "abcd-efgh-jkmn";
const SPARE_RECOVERY_CODE = "pqrs-tuvw-xyz2";

/** Enrols TOTP for the user, with two recovery codes; returns the authenticator's secret. */
async function enrolTotp(user: User): Promise<string> {
  const secret = newTotpSecret();
  const sealed = (await pendingTotpSecret({ userId: user.id, sessionId: "s", sealedCandidate: encryptSecret(secret) }))!;
  const outcome = await completeTotpEnrollment({ mfa: "enroll",
    actor: actorFor(user),
    userId: user.id,
    sessionId: "s",
    sealedSecret: sealed,
    step: 0,
    recoveryCodeHashes: [hashRecoveryCode(RECOVERY_CODE), hashRecoveryCode(SPARE_RECOVERY_CODE)],
  });
  expect(outcome).toBe("enrolled");
  return secret;
}

let nextAddress = 0;

/** Each attempt from its own address, so no test here runs into the throttle by accident. */
function signIn(user: User, extra: Partial<SignInAttempt> = {}) {
  nextAddress += 1;
  return attemptSignIn({ email: user.email, password: TEST_PASSWORD, ip: `2001:db8::${nextAddress.toString(16)}`, userAgent: null, ...extra });
}

async function lastAuditDetails(org: TestOrg): Promise<string[]> {
  const rows = await listAuditLogs({ orgId: org.orgId, limit: 5 });
  return rows.map((row) => `${row.action} ${row.success ? "ok" : "failed"}: ${row.details}`);
}

describe("sign-in, step by step", () => {
  it("refuses a wrong password, an unknown email and a disabled account alike, and audits what it can", async () => {
    const org = await createTestOrg();
    expect(await signIn(org.viewer.user, { password: "not the password" })).toEqual({ ok: false, reason: "invalid_credentials" });
    expect(await lastAuditDetails(org)).toContain("login_failed failed: Wrong password");

    expect(await attemptSignIn({ email: `nobody-${randomHex(4)}@example.test`, password: TEST_PASSWORD, ip: "203.0.113.1", userAgent: null })).toEqual({
      ok: false,
      reason: "invalid_credentials",
    });

    await setUserDisabled({ actor: actorFor(org.admin.user), userId: org.viewer.user.id, disabled: true });
    expect(await signIn(org.viewer.user)).toEqual({ ok: false, reason: "invalid_credentials" });
    expect(await lastAuditDetails(org)).toContain("login_failed failed: Account disabled");
  });

  it("with MFA required and no authenticator yet, signs in to enrol only; with MFA off, signs in with the password", async () => {
    const org = await createTestOrg();
    expect(await signIn(org.viewer.user)).toMatchObject({ ok: true, mfa: "enroll" });
    await togglePolicy({ actor: actorFor(org.admin.user), id: MFA_POLICY_ID, enabled: false });
    expect(await signIn(org.viewer.user)).toMatchObject({ ok: true, mfa: "password" });
  });

  it("asks an enrolled user for a code, and takes a TOTP code or a recovery code (spaces and case aside), each once", async () => {
    const org = await createTestOrg();
    const user = org.viewer.user;
    const secret = await enrolTotp(user);
    expect(await signIn(user)).toEqual({ ok: false, reason: "mfa_required", factors: ["totp"] });
    expect(await signIn(user, { code: ` ${currentTotp(secret)} ` })).toMatchObject({ ok: true, mfa: "verified" });

    expect(await signIn(user, { code: ` ${RECOVERY_CODE.toUpperCase()} ` })).toMatchObject({ ok: true, mfa: "verified" });
    expect(await lastAuditDetails(org)).toContain("mfa_recovery_code_used ok: Signed in with a recovery code; 1 left");
    expect(await signIn(user, { code: RECOVERY_CODE })).toEqual({ ok: false, reason: "invalid_code" });
  });

  it("takes no TOTP code from a user who has not enrolled, even one made from a secret they were shown", async () => {
    const org = await createTestOrg();
    const user = org.viewer.user;
    const secret = newTotpSecret();
    await pendingTotpSecret({ userId: user.id, sessionId: "s", sealedCandidate: encryptSecret(secret) });
    expect(await signIn(user, { code: currentTotp(secret) })).toEqual({ ok: false, reason: "invalid_code" });
  });

  it("audits the first refusal of a throttled account as a failure", async () => {
    const org = await createTestOrg();
    const attempt = () => attemptSignIn({ email: org.viewer.user.email, password: "wrong", ip: "203.0.113.252", userAgent: null });
    for (let i = 0; i < 10; i++) await attempt();
    expect(await attempt()).toMatchObject({ ok: false, reason: "rate_limited" });
    expect((await lastAuditDetails(org))[0]).toMatch(/^login_failed failed: Refused: too many failed attempts on this account from this address until /);
  });

  it("refuses a throttled unknown email without an error, and audits nothing for it", async () => {
    const email = `nobody-${randomHex(4)}@example.test`;
    const attempt = () => attemptSignIn({ email, password: "wrong", ip: "203.0.113.251", userAgent: null });
    for (let i = 0; i < 10; i++) expect(await attempt()).toEqual({ ok: false, reason: "invalid_credentials" });
    expect(await attempt()).toMatchObject({ ok: false, reason: "rate_limited" });
  });
});

describe("MFA enrolment and reset", () => {
  it("shows an enrolled user no new pending secret, audits the enrolment as a success, and a reset as one success", async () => {
    const org = await createTestOrg();
    const user = org.viewer.user;
    await enrolTotp(user);
    expect(await lastAuditDetails(org)).toContain("mfa_enroll ok: Enrolled a TOTP authenticator and 2 recovery codes; every other session ended");
    expect(await pendingTotpSecret({ userId: user.id, sessionId: "another", sealedCandidate: encryptSecret(newTotpSecret()) })).toBeNull();

    expect(await resetMfa({ actor: actorFor(org.admin.user), userId: user.id })).toBe(true);
    const [latest, previous] = await lastAuditDetails(org);
    expect(latest).toMatch(/^mfa_reset ok: Reset MFA for /);
    expect(previous).not.toMatch(/^mfa_reset/);
  });
});

describe("a console session on the API", () => {
  const listPolicies = (cookie: string, headers: Record<string, string> = {}) => call(policies.GET, "GET", "/api/policies", { headers: { cookie, ...headers } });
  const createPolicy = (cookie: string, headers: Record<string, string>) =>
    call(policies.POST, "POST", "/api/policies", { headers: { cookie, host: "localhost", ...headers }, body: { name: `P ${randomHex(3)}`, type: "access", rules: ["r"] } });

  it("is refused until its MFA step is done, while MFA is required: enrolling or password-only sessions get 401", async () => {
    const org = await createTestOrg();
    expect((await listPolicies(await sessionCookie(org.viewer.user, { mfa: "enroll" }))).status).toBe(401);
    expect((await listPolicies(await sessionCookie(org.viewer.user, { mfa: "password" }))).status).toBe(401);
    expect((await listPolicies(await sessionCookie(org.viewer.user, { mfa: "verified" }))).status).toBe(200);

    await enrolTotp(org.viewer.user);
    const enrolled = (await findUserById({ id: org.viewer.user.id }))!;
    expect((await listPolicies(await sessionCookie(enrolled, { mfa: "password" }))).status).toBe(401);
    expect((await listPolicies(await sessionCookie(enrolled, { mfa: "verified" }))).status).toBe(200);
  });

  it("needs no MFA step while MFA Required is off, or deleted", async () => {
    const org = await createTestOrg();
    await togglePolicy({ actor: actorFor(org.admin.user), id: MFA_POLICY_ID, enabled: false });
    expect((await listPolicies(await sessionCookie(org.viewer.user, { mfa: "password" }))).status).toBe(200);
    const other = await createTestOrg();
    await deletePolicy({ actor: actorFor(other.admin.user), id: MFA_POLICY_ID, confirmed: true });
    expect((await listPolicies(await sessionCookie(other.viewer.user, { mfa: "password" }))).status).toBe(200);
  });

  it("is refused when a claim is missing or the absolute lifetime is up", async () => {
    const org = await createTestOrg();
    const user = org.viewer.user;
    for (const missing of ["uid", "sv", "mfa", "sid", "at"] as const) {
      expect((await listPolicies(await sessionCookie(user, { [missing]: undefined }))).status, missing).toBe(401);
    }
    expect((await listPolicies(await sessionCookie(user, { sv: String(user.sessionVersion) as unknown as number }))).status).toBe(401);
    expect((await listPolicies(await sessionCookie(user, { sid: 7 as unknown as string }))).status).toBe(401);
    expect((await listPolicies(await sessionCookie(user, { at: Math.floor(Date.now() / 1000) - SESSION_ABSOLUTE_LIFETIME_SECONDS }))).status).toBe(401);
    expect((await listPolicies(await sessionCookie(user, { at: Math.floor(Date.now() / 1000) - SESSION_ABSOLUTE_LIFETIME_SECONDS + 60 }))).status).toBe(200);
  });

  it("writes only from this origin: another Origin, an unparseable one, or a cross-site fetch without one get 403", async () => {
    const { admin } = await createTestOrg();
    const cookie = await sessionCookie(admin.user);
    expect((await createPolicy(cookie, { origin: "http://localhost" })).status).toBe(201);
    expect((await createPolicy(cookie, {})).status).toBe(201);
    expect((await createPolicy(cookie, { "sec-fetch-site": "same-origin" })).status).toBe(201);
    expect((await createPolicy(cookie, { origin: "http://evil.example" })).status).toBe(403);
    expect((await createPolicy(cookie, { origin: "http://[" })).status).toBe(403);
    expect((await createPolicy(cookie, { origin: "null" })).status).toBe(403);
    expect((await createPolicy(cookie, { "sec-fetch-site": "cross-site" })).status).toBe(403);
    // Reads are not writes: a page of another site cannot read the answer anyway (no CORS).
    expect((await listPolicies(cookie, { origin: "http://evil.example" })).status).toBe(200);
  });

  it("compares the Origin with the Host header, and with X-Forwarded-Host only behind a trusted proxy", async () => {
    const { admin } = await createTestOrg();
    const cookie = await sessionCookie(admin.user);
    expect((await createPolicy(cookie, { host: "palisade.example", origin: "http://palisade.example" })).status).toBe(201);
    // TRUSTED_PROXIES is 0 in tests: a client-written X-Forwarded-Host cannot make another origin look like ours.
    expect((await createPolicy(cookie, { origin: "http://evil.example", "x-forwarded-host": "evil.example" })).status).toBe(403);
    const trusted = env().TRUSTED_PROXIES;
    env().TRUSTED_PROXIES = 1;
    try {
      expect((await createPolicy(cookie, { host: "10.0.0.5:3000", origin: "https://palisade.example", "x-forwarded-host": "palisade.example" })).status).toBe(201);
    } finally {
      env().TRUSTED_PROXIES = trusted;
    }
  });
});

describe("a revoked agent", () => {
  it("is refused on this instance as soon as the revocation returns, before any notification arrives", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const request = { headers: new Headers({ authorization: `Bearer ${agent.token}` }) };
    await authenticateAgent(request); // now cached
    await revokeAgent({ actor: actorFor(org.admin.user), id: agent.agentId });
    await expect(authenticateAgent(request)).rejects.toMatchObject({ status: 401 });
    const response = await call(heartbeat.POST, "POST", "/api/agents/heartbeat", { token: agent.token, body: { policyVersion: null } });
    expect(response.status).toBe(401);
  });
});
