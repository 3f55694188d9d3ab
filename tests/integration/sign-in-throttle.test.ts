import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { getDb } from "@/db";
import { attemptSignIn, type SignInResult } from "@/lib/auth/sign-in";
import { summarizeRefusalRuns, THROTTLE } from "@/lib/auth/throttle";
import { randomHex } from "@/lib/ids";
import * as collection from "@/app/api/policies/route";
import * as item from "@/app/api/policies/[id]/route";
import { call, createTestOrg, TEST_PASSWORD } from "../helpers";

// Each test attacks from addresses of its own, so the per-address limit of one never touches another.
const address = () => `192.0.2.${Math.floor(Math.random() * 250) + 1}-${randomHex(2)}`;

const signIn = (email: string, ip: string, password = TEST_PASSWORD) => attemptSignIn({ email, password, ip, userAgent: "test" });

function tally(results: SignInResult[]) {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = result.ok ? "ok" : result.reason;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe("sign-in throttling", () => {
  it("lets exactly the limit of 300 concurrent wrong passwords from one address reach a password check", async () => {
    const { viewer } = await createTestOrg();
    const ip = address();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => signIn(viewer.user.email, ip, `wrong ${i}`)));
    // Only an attempt whose password was checked can answer invalid_credentials.
    expect(tally(results)).toEqual({ invalid_credentials: THROTTLE.pairLimit, rate_limited: 300 - THROTTLE.pairLimit });
  });

  it("audits a run of refusals once, then summarizes it with its count when the throttle lifts", async () => {
    const { orgId, viewer } = await createTestOrg();
    const ip = address();
    for (let i = 0; i < THROTTLE.pairLimit; i++) await signIn(viewer.user.email, ip, `wrong ${i}`);
    await Promise.all(Array.from({ length: 50 }, () => signIn(viewer.user.email, ip)));
    const failures = await listAuditLogs({ orgId, action: "login_failed", limit: 1000 });
    expect(failures.map((row) => row.details.replace(/until \S+;/, "until …;"))).toEqual([
      "Refused: too many failed attempts on this account from this address until …; further refusals are counted and summarized",
      ...Array(THROTTLE.pairLimit).fill("Wrong password"),
    ]);

    // The window passes (moved back in time here), and the maintenance task writes the run's summary.
    await getDb().execute(sql`update login_attempts set created_at = created_at - interval '16 minutes' where ip = ${ip}`);
    await getDb().execute(sql`update sign_in_refusals set until = now() - interval '1 second' where ip = ${ip}`);
    await summarizeRefusalRuns();
    const [summary] = await listAuditLogs({ orgId, action: "login_failed", limit: 1 });
    expect(summary).toMatchObject({ success: false, ip, details: expect.stringMatching(/^Refused 49 more sign-in attempt\(s\) between .+ \(account-address throttle\)$/) });
    expect((await signIn(viewer.user.email, ip)).ok).toBe(true);
  });

  it("never locks the owner out: while other addresses hammer the account, its usual address signs in", async () => {
    const { viewer } = await createTestOrg();
    const email = viewer.user.email;
    const usual = address();
    expect((await signIn(email, usual)).ok).toBe(true);

    // 30 failures from six unfamiliar addresses: past the account's free failures from such addresses.
    const attackers = Array.from({ length: 6 }, address);
    for (const ip of attackers) for (let i = 0; i < 5; i++) await signIn(email, ip, `guess ${i}`);
    const fromNewAddress = await signIn(email, address());
    expect(fromNewAddress).toMatchObject({ ok: false, reason: "rate_limited" });
    // The backoff is short, not a lockout: a new address waits seconds to minutes, doubling per failure.
    const wait = (fromNewAddress as { retryAt: Date }).retryAt.getTime() - Date.now();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(THROTTLE.accountMaxDelayMs);

    expect(await signIn(email, usual)).toMatchObject({ ok: true });
  });

  it("limits one address across accounts", async () => {
    const ip = address();
    const orgs = await Promise.all(Array.from({ length: 6 }, () => createTestOrg()));
    const emails = orgs.flatMap((org) => [org.admin.user.email, org.viewer.user.email]);
    let refused = 0;
    for (let i = 0; i < THROTTLE.addressLimit + 5; i++) {
      const result = await signIn(emails[i % emails.length]!, ip, `spray ${i}`);
      if (!result.ok && result.reason === "rate_limited") refused++;
    }
    expect(refused).toBe(5);
    // Another address is unaffected.
    expect((await signIn(emails[0]!, address())).ok).toBe(true);
  });

  it("forgives an account's failures from an address once it signs in there", async () => {
    const { viewer } = await createTestOrg();
    const ip = address();
    for (let i = 0; i < THROTTLE.pairLimit - 1; i++) await signIn(viewer.user.email, ip, `typo ${i}`);
    expect((await signIn(viewer.user.email, ip)).ok).toBe(true);
    for (let i = 0; i < THROTTLE.pairLimit - 1; i++) await signIn(viewer.user.email, ip, `typo again ${i}`);
    expect((await signIn(viewer.user.email, ip)).ok).toBe(true);
  });

  it("counts and audits a correct password while the MFA code is still missing", async () => {
    const { orgId, admin } = await createTestOrg();
    await getDb().execute(sql`update users set totp_enabled_at = now() where id = ${admin.user.id}`);
    const ip = address();
    expect(await signIn(admin.user.email, ip)).toMatchObject({ ok: false, reason: "mfa_required" });
    const [entry] = await listAuditLogs({ orgId, action: "login_failed", limit: 1 });
    expect(entry).toMatchObject({ success: false, details: "Correct password; refused until a second factor is given" });
    for (let i = 0; i < THROTTLE.pairLimit - 1; i++) await signIn(admin.user.email, ip);
    expect(await signIn(admin.user.email, ip)).toMatchObject({ ok: false, reason: "rate_limited" });
  });
});

describe("an enabled login_limits policy", () => {
  async function limitsPolicy(token: string, settings: Record<string, unknown>) {
    const response = await call(collection.POST, "POST", "/api/policies", { token, body: { kind: "login_limits", settings } });
    expect(response.status).toBe(201);
    return (await response.json()).id as string;
  }
  /** Moves the pair's recorded attempts `ms` into the past, as if that much time had gone by. */
  const age = (email: string, ip: string, ms: number) =>
    getDb().execute(sql`update login_attempts set created_at = created_at - make_interval(secs => ${ms / 1000}) where email = ${email.toLowerCase()} and ip = ${ip}`);

  it("sets its organization's limit and lockout, counted from the failure that reached the limit, and leaves other organizations on the defaults", async () => {
    const [org, other] = await Promise.all([createTestOrg(), createTestOrg()]);
    await limitsPolicy(org.admin.token, { maxFailures: 3, windowMinutes: 5, lockoutMinutes: 60 });
    const ip = address();
    for (let i = 0; i < 3; i++) expect(await signIn(org.viewer.user.email, ip, `wrong ${i}`)).toMatchObject({ reason: "invalid_credentials" });
    const refused = await signIn(org.viewer.user.email, ip);
    expect(refused).toMatchObject({ ok: false, reason: "rate_limited" });
    const wait = (refused as { retryAt: Date }).retryAt.getTime() - Date.now();
    expect(wait).toBeGreaterThan(59 * 60_000);
    // The window has long passed, the lockout has not.
    await age(org.viewer.user.email, ip, 30 * 60_000);
    expect(await signIn(org.viewer.user.email, ip)).toMatchObject({ ok: false, reason: "rate_limited" });
    await age(org.viewer.user.email, ip, 30 * 60_000 + 1000);
    expect((await signIn(org.viewer.user.email, ip)).ok).toBe(true);

    for (let i = 0; i < 3; i++) await signIn(other.viewer.user.email, ip, `wrong ${i}`);
    expect((await signIn(other.viewer.user.email, ip)).ok).toBe(true);
  });

  it("stops applying the moment it is disabled", async () => {
    const org = await createTestOrg();
    const id = await limitsPolicy(org.admin.token, { maxFailures: 3 });
    const ip = address();
    for (let i = 0; i < 3; i++) await signIn(org.viewer.user.email, ip, `wrong ${i}`);
    expect(await signIn(org.viewer.user.email, ip)).toMatchObject({ reason: "rate_limited" });
    const toggled = await call(item.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id }, body: { enabled: false } });
    expect(toggled.status).toBe(200);
    expect((await signIn(org.viewer.user.email, ip)).ok).toBe(true);
  });
});
