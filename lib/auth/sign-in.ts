import { recordFailure, type Actor } from "@/lib/audit/log";
import { rememberSignInAddress, settleLoginAttempt } from "@/db/queries/login-attempts";
import { acceptTotpStep } from "@/db/queries/mfa";
import { spendRecoveryCode } from "@/lib/auth/mfa";
import { findSessionUser, findSignInUser } from "@/db/queries/users";
import { markSignedIn } from "@/lib/users/service";
import { normalizeEmail } from "@/lib/users/email";
import type { User } from "@/db/schema";
import { isAddressAllowed } from "@/lib/policies/kinds";
import { decryptSecret } from "./crypto";
import { verifyPassword } from "./password";
import { reserveSignInAttempt } from "./throttle";
import { hashRecoveryCode, matchTotp } from "./totp";

/** What a throttled user reads: when they may try again, in seconds under a minute, else in whole minutes. */
export function tooManyAttemptsMessage(retryAt: Date): string {
  const seconds = Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 1000));
  if (seconds < 60) return `Too many attempts. Try again in ${seconds} second${seconds === 1 ? "" : "s"}.`;
  const minutes = Math.ceil(seconds / 60);
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
  | { ok: false; reason: "invalid_credentials" | "mfa_required" | "invalid_code" | "address_not_allowed"; retryAt?: undefined }
  | { ok: false; reason: "rate_limited"; retryAt: Date };

export interface SignInAttempt {
  email: string;
  password: string;
  /** A 6-digit TOTP code or a recovery code, on the second step. */
  code?: string;
  /** The organization's name, for an email that has accounts in several. */
  organization?: string;
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
 * Each attempt is counted before its check runs (lib/auth/throttle.ts), so concurrent guesses cannot slip past.
 */
export async function attemptSignIn(attempt: SignInAttempt): Promise<SignInResult> {
  const email = normalizeEmail(attempt.email);
  const { ip } = attempt;
  const user = await findSignInUser({ email, organization: attempt.organization });
  // Audit rows belong to an organization: attempts on unknown emails are only counted, not audited.
  const actor: Actor | null = user && { orgId: user.orgId, userId: user.id, email: user.email, ip, userAgent: attempt.userAgent };
  const reservation = await reserveSignInAttempt({ email, ip, subject: actor && user && { actor, userId: user.id } });
  if (!reservation.ok) return { ok: false, reason: "rate_limited", retryAt: reservation.retryAt };

  const fail = async (reason: "invalid_credentials" | "invalid_code" | "mfa_required" | "address_not_allowed", details: string): Promise<SignInResult> => {
    await settleLoginAttempt({ id: reservation.attemptId, outcome: "failed" });
    if (actor) await recordFailure(actor, { action: "login_failed", resource: `user:${actor.userId}`, details });
    return { ok: false, reason };
  };

  const passwordOk = await verifyPassword(user?.passwordHash, attempt.password);
  if (!user || !actor || !passwordOk) return fail("invalid_credentials", "Wrong password");
  if (user.disabledAt) return fail("invalid_credentials", "Account disabled");

  const session = await findSessionUser({ id: user.id, sessionVersion: user.sessionVersion });
  // Told only to whoever has the password, like the MFA step: the allowlist is no oracle for guessers.
  const allowlist = session?.requestPolicies.ip_allowlist;
  if (allowlist && !isAddressAllowed(allowlist, ip, "console")) return fail("address_not_allowed", `Correct password; refused: ${ip} is not on the IP allowlist`);
  const mfaRequired = session?.mfaRequired ?? true;
  let mfa: MfaState = "password";
  if (attempt.code) {
    if (!(await verifySecondFactor(user, attempt.code, actor))) return fail("invalid_code", "Wrong MFA code");
    mfa = "verified";
  } else if (mfaRequired && user.totpEnabledAt) {
    // The password was right, but the attempt does not sign in: it counts, so that someone holding only the
    // password can neither probe nor fill the audit log without limit. The code step that follows forgives it.
    return fail("mfa_required", "Correct password; refused until an MFA code is given");
  } else if (mfaRequired) {
    mfa = "enroll";
  }

  await settleLoginAttempt({ id: reservation.attemptId, outcome: "succeeded" });
  await rememberSignInAddress({ userId: user.id, ip });
  await markSignedIn({ actor, user, details: SIGN_IN_DETAILS[mfa] });
  return { ok: true, user, mfa };
}
