/**
 * The pure rules of lib/auth, at their boundaries: the throttle's arithmetic, TOTP matching, sealed secrets,
 * session cookies and password checks. Written to kill the mutants StrykerJS found surviving there.
 */
import { afterEach, describe, expect, it } from "vitest";
import { THROTTLE, throttleRefusal } from "@/lib/auth/throttle";
import type { ThrottleState } from "@/db/queries/login-attempts";
import { currentTotp, matchTotp, newTotpSecret } from "@/lib/auth/totp";
import { decryptSecret, encryptSecret } from "@/lib/auth/crypto";
import { cookiesOf, hasSessionCookie, readSessionClaims, sessionCookieSecure } from "@/lib/auth/authjs";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { env } from "@/lib/env";
import { sessionCookie } from "../helpers";
import type { User } from "@/db/schema";

const NOW = new Date("2026-11-29T12:00:00Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const state = (overrides: Partial<ThrottleState>): ThrottleState => ({
  now: NOW,
  pairNthFailureAt: null,
  addressNthFailureAt: null,
  knownAddress: false,
  accountFailures: 0,
  accountLastFailureAt: null,
  ...overrides,
});

describe("throttleRefusal", () => {
  it("refuses nothing without failures, and lifts a limit exactly when its window has passed", () => {
    expect(throttleRefusal(state({}))).toBeNull();
    expect(throttleRefusal(state({ pairNthFailureAt: ago(60_000) }))).toEqual({ rule: "account-address", until: new Date(NOW.getTime() - 60_000 + THROTTLE.pairWindowMs) });
    expect(throttleRefusal(state({ pairNthFailureAt: ago(THROTTLE.pairWindowMs) }))).toBeNull();
    expect(throttleRefusal(state({ addressNthFailureAt: ago(1) }))).toMatchObject({ rule: "address" });
  });

  it("answers the limit that lifts last when several apply", () => {
    const later = throttleRefusal(state({ pairNthFailureAt: ago(10 * 60_000), addressNthFailureAt: ago(60_000) }));
    expect(later?.rule).toBe("address");
    const earlier = throttleRefusal(state({ pairNthFailureAt: ago(60_000), addressNthFailureAt: ago(10 * 60_000) }));
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
    expect(() => decryptSecret(["v1", iv, body, `${tag!.slice(0, -2)}AA`].join("."))).toThrow();
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
    expect(hasSessionCookie([{ name: `${name}.a`, value }])).toBe(false);
    expect(hasSessionCookie([{ name: "other", value }])).toBe(false);
    expect(await readSessionClaims([{ name: `${name}.x1`, value }])).toBeNull();
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

describe("verifyPassword", () => {
  it("is false for no stored hash and for a malformed one, true only for the right password", async () => {
    expect(await verifyPassword(null, "anything")).toBe(false);
    expect(await verifyPassword("not-an-argon2-hash", "anything")).toBe(false);
    const stored = await hashPassword("correct horse battery staple");
    expect(await verifyPassword(stored, "correct horse battery staple")).toBe(true);
    expect(await verifyPassword(stored, "correct horse battery stapler")).toBe(false);
  });
});
