import { decode } from "next-auth/jwt";
import { env } from "@/lib/env";
import type { SecondFactor, SignInResult } from "./sign-in";

/**
 * Palisade's adapter to Auth.js: every convention of Auth.js's that Palisade relies on outside Auth.js's own
 * handlers, in one module, each pinned against the installed version by tests/integration/authjs-contract.test.ts:
 * - the session cookie's name, which Auth.js also uses as the salt of the encrypted session token;
 * - how Auth.js splits a large session token across cookies (`name`, or `name.0`, `name.1`…);
 * - how a refused sign-in's reason reaches the sign-in form (the `code` of a CredentialsSignin).
 */

/** A session's cookie lives this long after its last refresh… */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;
/** …and a session ends this long after its sign-in, however often it is refreshed. */
export const SESSION_ABSOLUTE_LIFETIME_SECONDS = 12 * 60 * 60;

/** Secure (HTTPS-only) in production unless AUTH_COOKIE_SECURE=false; browsers treat http://localhost as secure. */
export function sessionCookieSecure(): boolean {
  return env().AUTH_COOKIE_SECURE ?? env().NODE_ENV === "production";
}

/** The session cookie's name; a `__Secure-` prefix makes browsers refuse it over plain HTTP. */
export function sessionCookieName(secure = sessionCookieSecure()): string {
  return secure ? "__Secure-palisade.session" : "palisade.session";
}

interface Cookie {
  name: string;
  value: string;
}

/** The session token a request's cookies carry, its chunks joined in order, or undefined. */
function sessionToken(cookies: readonly Cookie[], name = sessionCookieName()): string | undefined {
  const whole = cookies.find((cookie) => cookie.name === name);
  if (whole) return whole.value;
  const chunks = cookies
    .map((cookie) => ({ index: /^\d+$/.test(cookie.name.slice(name.length + 1)) && cookie.name.startsWith(`${name}.`) ? Number(cookie.name.slice(name.length + 1)) : -1, value: cookie.value }))
    .filter((chunk) => chunk.index >= 0)
    .sort((a, b) => a.index - b.index);
  return chunks.length > 0 ? chunks.map((chunk) => chunk.value).join("") : undefined;
}

/** Whether the cookies include a session cookie (for an optimistic redirect only: it proves nothing). */
export function hasSessionCookie(cookies: readonly Cookie[]): boolean {
  return sessionToken(cookies) !== undefined;
}

/** The cookies of a request's Cookie header. */
export function cookiesOf(request: Request): Cookie[] {
  const header = request.headers.get("cookie") ?? "";
  return header.split(";").flatMap((pair) => {
    const separator = pair.indexOf("=");
    if (separator < 0) return [];
    const name = pair.slice(0, separator).trim();
    const raw = pair.slice(separator + 1).trim();
    try {
      return [{ name, value: decodeURIComponent(raw) }];
    } catch {
      return [{ name, value: raw }];
    }
  });
}

/** The claims of the session token among these cookies, as Auth.js encrypted them, or null (absent, tampered, expired). */
export async function readSessionClaims<Claims>(cookies: readonly Cookie[]): Promise<Partial<Claims> | null> {
  const name = sessionCookieName();
  const token = sessionToken(cookies, name);
  if (!token) return null;
  try {
    return (await decode({ token, secret: env().AUTH_SECRET!, salt: name })) as Partial<Claims> | null;
  } catch {
    return null;
  }
}

type SignInRefusal = Exclude<SignInResult, { ok: true }>;

/** A refused sign-in as the code of a CredentialsSignin: the reason, when to try again, or which second factors to ask for. */
export function encodeSignInRefusal(refusal: SignInRefusal): string {
  if (refusal.reason === "rate_limited") return `rate_limited:${refusal.retryAt.toISOString()}`;
  if (refusal.reason === "mfa_required") return `mfa_required:${refusal.factors.join("+")}`;
  return refusal.reason;
}

const SECOND_FACTORS: readonly SecondFactor[] = ["passkey", "totp"];

export function decodeSignInRefusal(code: string): SignInRefusal {
  if (code.startsWith("rate_limited:")) return { ok: false, reason: "rate_limited", retryAt: new Date(code.slice("rate_limited:".length)) };
  if (code.startsWith("mfa_required:")) {
    const factors = SECOND_FACTORS.filter((factor) => code.slice("mfa_required:".length).split("+").includes(factor));
    return { ok: false, reason: "mfa_required", factors };
  }
  if (code === "invalid_code" || code === "invalid_passkey" || code === "address_not_allowed") return { ok: false, reason: code };
  return { ok: false, reason: "invalid_credentials" };
}
