/**
 * The pure rules of lib/auth, at their boundaries: the throttle's arithmetic, TOTP matching, sealed secrets,
 * session cookies and password checks. Written to kill the mutants StrykerJS found surviving there.
 */
import { afterEach, describe, expect, it } from "vitest";
import { THROTTLE, throttleRefusal } from "@/lib/auth/throttle";
import type { ThrottleState } from "@/db/queries/login-attempts";
import { decryptSecret, encryptSecret } from "@/lib/auth/crypto";
import { cookiesOf, decodeSignInRefusal, encodeSignInRefusal, hasSessionCookie, readSessionClaims, sessionCookieSecure } from "@/lib/auth/authjs";
import { tooManyAttemptsMessage, type SignInResult } from "@/lib/auth/sign-in";
import { currentTotp, hashRecoveryCode, matchTotp, newRecoveryCodes, newTotpSecret, RECOVERY_CODE_COUNT, totpEnrollment } from "@/lib/auth/totp";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { env } from "@/lib/env";
import { sessionCookie } from "../helpers";
import type { User } from "@/db/schema";

const NOW = new Date("2026-11-29T12:00:00Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const state = (overrides: Partial<ThrottleState>): ThrottleState => ({
  now: NOW,
  pairLockedAt: null,
  addressNthFailureAt: null,
  knownAddress: false,
  accountFailures: 0,
  accountLastFailureAt: null,
  ...overrides,
});

describe("throttleRefusal", () => {
  it("refuses nothing without failures, and lifts a limit exactly when its window has passed", () => {
    expect(throttleRefusal(state({}))).toBeNull();
    expect(throttleRefusal(state({ pairLockedAt: ago(60_000) }))).toEqual({ rule: "account-address", until: new Date(NOW.getTime() - 60_000 + THROTTLE.pairLockoutMs) });
    expect(throttleRefusal(state({ pairLockedAt: ago(THROTTLE.pairLockoutMs) }))).toBeNull();
    expect(throttleRefusal(state({ addressNthFailureAt: ago(1) }))).toMatchObject({ rule: "address" });
  });

  it("answers the limit that lifts last when several apply", () => {
    const later = throttleRefusal(state({ pairLockedAt: ago(10 * 60_000), addressNthFailureAt: ago(60_000) }));
    expect(later?.rule).toBe("address");
    const earlier = throttleRefusal(state({ pairLockedAt: ago(60_000), addressNthFailureAt: ago(10 * 60_000) }));
    expect(earlier?.rule).toBe("account-address");
  });

  it("slows an account from unfamiliar addresses only past its free failures, doubling to a cap, never at a known address", () => {
    const account = (failures: number, knownAddress = false) =>
      throttleRefusal(state({ accountFailures: failures, accountLastFailureAt: NOW, knownAddress }))?.until.getTime() ?? null;
    expect(account(THROTTLE.accountFreeFailures - 1)).toBeNull();
    expect(account(THROTTLE.accountFreeFailures)).toBe(NOW.getTime() + 1000);
    expect(account(THROTTLE.accountFreeFailures + 1)).toBe(NOW.getTime() + 2000);
    expect(account(THROTTLE.accountFreeFailures + 40)).toBe(NOW.getTime() + THROTTLE.accountMaxDelayMs);
    expect(account(THROTTLE.accountFreeFailures + 5, true)).toBeNull();
  });
});

describe("matchTotp", () => {
  const secret = newTotpSecret();
  const now = NOW.getTime();
  const step = Math.floor(now / 30_000);

  it("returns the time step a code matched, one period of drift either way, and null beyond", () => {
    expect(matchTotp(secret, currentTotp(secret, now), now)).toBe(step);
    expect(matchTotp(secret, currentTotp(secret, now - 30_000), now)).toBe(step - 1);
    expect(matchTotp(secret, currentTotp(secret, now + 30_000), now)).toBe(step + 1);
    expect(matchTotp(secret, currentTotp(secret, now - 90_000), now)).toBeNull();
  });

  it("takes exactly six digits", () => {
    const code = currentTotp(secret, now);
    expect(matchTotp(secret, `${code}0`, now)).toBeNull();
    expect(matchTotp(secret, `0${code}`, now)).toBeNull();
    expect(matchTotp(secret, code.slice(1), now)).toBeNull();
  });
});

describe("sealed secrets", () => {
  it("round-trip, and refuse another version, a missing part or a changed byte", () => {
    const sealed = encryptSecret("JBSWY3DPEHPK3PXP");
    expect(decryptSecret(sealed)).toBe("JBSWY3DPEHPK3PXP");
    const [, iv, body, tag] = sealed.split(".");
    expect(() => decryptSecret(["v2", iv, body, tag].join("."))).toThrow("unreadable sealed secret");
    expect(() => decryptSecret(["v1", "", body, tag].join("."))).toThrow("unreadable sealed secret");
    expect(() => decryptSecret(["v1", iv, "", tag].join("."))).toThrow("unreadable sealed secret");
    expect(() => decryptSecret(["v1", iv, body].join("."))).toThrow("unreadable sealed secret");
    const flipped = Buffer.from(tag!, "base64url");
    flipped[0]! ^= 0xff;
    expect(() => decryptSecret(["v1", iv, body, flipped.toString("base64url")].join("."))).toThrow();
  });
});

describe("session cookies", () => {
  const secure = env().AUTH_COOKIE_SECURE;
  const nodeEnv = env().NODE_ENV;
  afterEach(() => {
    env().AUTH_COOKIE_SECURE = secure;
    env().NODE_ENV = nodeEnv;
  });

  it("are Secure in production, or when AUTH_COOKIE_SECURE says so, whatever NODE_ENV is", () => {
    env().AUTH_COOKIE_SECURE = undefined;
    env().NODE_ENV = "test";
    expect(sessionCookieSecure()).toBe(false);
    env().NODE_ENV = "production";
    expect(sessionCookieSecure()).toBe(true);
    env().AUTH_COOKIE_SECURE = false;
    expect(sessionCookieSecure()).toBe(false);
    env().NODE_ENV = "test";
    env().AUTH_COOKIE_SECURE = true;
    expect(sessionCookieSecure()).toBe(true);
  });

  it("are read whole or from numbered chunks in any order, and only under the session's own name", async () => {
    const user = { id: "u1", email: "a@example.test", role: "admin", orgId: "o1", sessionVersion: 3 } as User;
    const [name, value] = (await sessionCookie(user)).split("=") as [string, string];
    const half = Math.floor(value.length / 2);
    const chunked = [
      { name: `${name}.1`, value: value.slice(half) },
      { name: `${name}.0`, value: value.slice(0, half) },
    ];
    expect(await readSessionClaims(chunked)).toMatchObject({ uid: "u1", sv: 3 });
    expect(hasSessionCookie(chunked)).toBe(true);
    expect(hasSessionCookie([{ name: `${name}x.0`, value }])).toBe(false);
    // Another cookie whose name merely starts like ours is not a chunk of the session.
    expect(await readSessionClaims([...chunked, { name: `${name}X2`, value: "junk" }])).toMatchObject({ uid: "u1" });
    expect(hasSessionCookie([{ name: `${name}.a`, value }])).toBe(false);
    expect(hasSessionCookie([{ name: "other", value }])).toBe(false);
    expect(await readSessionClaims([{ name: `${name}.x1`, value }])).toBeNull();
    expect(await readSessionClaims([{ name, value: "" }])).toBeNull();
    expect(await readSessionClaims([{ name, value: `${value.slice(0, -4)}AAAA` }])).toBeNull();
  });

  it("are parsed from a Cookie header, skipping pairs without a value", () => {
    const request = new Request("http://localhost/", { headers: { cookie: "flag; a=1; b=%41; c=%E0%A4%A" } });
    expect(cookiesOf(request)).toEqual([
      { name: "a", value: "1" },
      { name: "b", value: "A" },
      { name: "c", value: "%E0%A4%A" },
    ]);
  });
});

describe("sign-in refusals", () => {
  it("travel through Auth.js's error code and back, and anything else reads as wrong credentials", () => {
    const retryAt = new Date("2026-11-29T12:15:00.000Z");
    const refusals: Exclude<SignInResult, { ok: true }>[] = [
      { ok: false, reason: "rate_limited", retryAt },
      { ok: false, reason: "mfa_required", factors: ["passkey", "totp"] },
      { ok: false, reason: "mfa_required", factors: ["totp"] },
      { ok: false, reason: "mfa_required", factors: ["passkey"] },
      { ok: false, reason: "invalid_code" },
      { ok: false, reason: "invalid_passkey" },
      { ok: false, reason: "address_not_allowed" },
      { ok: false, reason: "invalid_credentials" },
    ];
    for (const refusal of refusals) expect(decodeSignInRefusal(encodeSignInRefusal(refusal))).toEqual(refusal);
    expect(encodeSignInRefusal({ ok: false, reason: "rate_limited", retryAt })).toBe("rate_limited:2026-11-29T12:15:00.000Z");
    expect(decodeSignInRefusal("credentials")).toEqual({ ok: false, reason: "invalid_credentials" });
    expect(decodeSignInRefusal("x_rate_limited:")).toEqual({ ok: false, reason: "invalid_credentials" });
  });

  it("say when to try again, in seconds under a minute and in whole minutes after", () => {
    const inMs = (ms: number) => tooManyAttemptsMessage(new Date(Date.now() + ms));
    expect(inMs(-5000)).toBe("Too many attempts. Try again in 1 second.");
    expect(inMs(30_500)).toBe("Too many attempts. Try again in 31 seconds.");
    expect(inMs(60_000)).toBe("Too many attempts. Try again in 1 minute.");
    expect(inMs(14 * 60_000 + 100)).toBe("Too many attempts. Try again in 15 minutes.");
  });
});

describe("enrolment material", () => {
  it("is an otpauth URI for the user with its QR code, and recovery codes that match however they are typed", async () => {
    const { uri, qrSvg } = await totpEnrollment("JBSWY3DPEHPK3PXP", "a@example.test");
    expect(uri).toMatch(/^otpauth:\/\/totp\/Palisade:a%40example\.test\?.*secret=JBSWY3DPEHPK3PXP/);
    expect(qrSvg).toMatch(/^<svg/);
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
    expect(hashRecoveryCode(codes[0]!.toUpperCase().replaceAll("-", " "))).toBe(hashRecoveryCode(codes[0]!));
    expect(hashRecoveryCode(codes[0]!)).not.toBe(hashRecoveryCode(codes[1]!));
    // Letters count: two codes that differ only in a letter are different codes.
    expect(hashRecoveryCode("abcd-efgh-jkmn")).not.toBe(hashRecoveryCode("bbcd-efgh-jkmn"));
  });
});

describe("verifyPassword", () => {
  it("is false for no stored hash and for a malformed one, true only for the right password", async () => {
    expect(await verifyPassword(null, "anything")).toBe(false);
    expect(await verifyPassword("not-an-argon2-hash", "anything")).toBe(false);
    const stored = await hashPassword("correct horse battery staple");
    expect(await verifyPassword(stored, "correct horse battery staple")).toBe(true);
    expect(await verifyPassword(stored, "correct horse battery stapler")).toBe(false);
  });
});
