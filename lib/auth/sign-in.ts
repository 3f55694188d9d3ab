import { insertAuditLog, type Actor } from "@/db/queries/audit-logs";
import { recordLoginAttempt, throttledUntil } from "@/db/queries/login-attempts";
import { acceptTotpStep, spendRecoveryCode } from "@/db/queries/mfa";
import { findSessionUser, findUserByEmail, markSignedIn, normalizeEmail } from "@/db/queries/users";
import { getDb } from "@/db";
import type { User } from "@/db/schema";
import { decryptSecret } from "./crypto";
import { verifyPassword } from "./password";
import { hashRecoveryCode, matchTotp } from "./totp";

export const MAX_FAILED_ATTEMPTS = 10;
export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;

/** What a throttled user reads: when they may try again, in whole minutes. */
export function tooManyAttemptsMessage(retryAt: Date): string {
  const minutes = Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 60_000));
  return `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

/**
 * How the session was authenticated:
 * - "verified": password and a TOTP or recovery code;
 * - "password": password alone (MFA not required);
 * - "enroll": password alone while MFA is required and the user has no TOTP yet: the session can only enrol.
 */
export type MfaState = "verified" | "password" | "enroll";

export type SignInResult =
  | { ok: true; user: User; mfa: MfaState }
  | { ok: false; reason: "invalid_credentials" | "mfa_required" | "invalid_code"; retryAt?: undefined }
  | { ok: false; reason: "rate_limited"; retryAt: Date };

export interface SignInAttempt {
  email: string;
  password: string;
  /** A 6-digit TOTP code or a recovery code, on the second step. */
  code?: string;
  ip: string;
  userAgent: string | null;
}

const SIGN_IN_DETAILS: Record<MfaState, string> = {
  verified: "Signed in with password and MFA",
  password: "Signed in with password",
  enroll: "Signed in; MFA enrolment required",
};

const RECOVERY_CODE = /^[a-z0-9]{4}-?[a-z0-9]{4}-?[a-z0-9]{4}$/i;

/** Checks a second factor: a TOTP code (each accepted once) or an unused recovery code. */
async function verifySecondFactor(user: User, code: string, actor: Actor): Promise<boolean> {
  const trimmed = code.trim();
  if (RECOVERY_CODE.test(trimmed)) return spendRecoveryCode({ actor, userId: user.id, codeHash: hashRecoveryCode(trimmed) });
  if (!user.totpSecret || !user.totpEnabledAt) return false;
  const step = matchTotp(decryptSecret(user.totpSecret), trimmed);
  return step !== null && acceptTotpStep({ userId: user.id, step });
}

/**
 * The whole sign-in decision, independent of Auth.js: throttling, password, second factor, and the audit
 * trail. Messages never reveal whether an email exists, and an unknown email costs a full argon2id check.
 */
export async function attemptSignIn(attempt: SignInAttempt): Promise<SignInResult> {
  const email = normalizeEmail(attempt.email);
  const { ip } = attempt;
  const user = await findUserByEmail({ email });
  // Audit rows belong to an organization: attempts on unknown emails are only counted, not audited.
  const actor: Actor | null = user && { orgId: user.orgId, userId: user.id, email: user.email, ip, userAgent: attempt.userAgent };
  const auditFailure = async (details: string) => {
    if (actor) await insertAuditLog(getDb(), actor, { action: "login_failed", resource: `user:${actor.userId}`, details, success: false });
  };
  const fail = async (reason: "invalid_credentials" | "invalid_code", details: string): Promise<SignInResult> => {
    await recordLoginAttempt({ email, ip, success: false });
    await auditFailure(details);
    return { ok: false, reason };
  };

  const retryAt = await throttledUntil({ email, ip, limit: MAX_FAILED_ATTEMPTS, windowMs: THROTTLE_WINDOW_MS });
  if (retryAt) {
    await auditFailure("Too many failed attempts");
    return { ok: false, reason: "rate_limited", retryAt };
  }
  const passwordOk = await verifyPassword(user?.passwordHash, attempt.password);
  if (!user || !actor || !passwordOk) return fail("invalid_credentials", "Wrong password");
  if (user.disabledAt) return fail("invalid_credentials", "Account disabled");

  const session = await findSessionUser({ id: user.id, sessionVersion: user.sessionVersion });
  const mfaRequired = session?.mfaRequired ?? true;
  let mfa: MfaState = "password";
  if (attempt.code) {
    if (!(await verifySecondFactor(user, attempt.code, actor))) return fail("invalid_code", "Wrong MFA code");
    mfa = "verified";
  } else if (mfaRequired && user.totpEnabledAt) {
    // The password was right; the second step asks for the code. Not a failure.
    return { ok: false, reason: "mfa_required" };
  } else if (mfaRequired) {
    mfa = "enroll";
  }

  await recordLoginAttempt({ email, ip, success: true });
  await markSignedIn({ actor, userId: user.id, details: SIGN_IN_DETAILS[mfa] });
  return { ok: true, user, mfa };
}
