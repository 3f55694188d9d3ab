import type { z } from "zod";
import { recordFailure, type Actor } from "@/lib/audit/log";
import { getDb } from "@/db";
import { findPasskeyByCredentialId, recordPasskeyUse, spendChallenge } from "@/db/queries/passkeys";
import { rememberSignInAddress, settleLoginAttempt } from "@/db/queries/login-attempts";
import { acceptTotpStep } from "@/db/queries/mfa";
import { spendRecoveryCode } from "@/lib/auth/mfa";
import { findSessionUser, findSignInUser } from "@/db/queries/users";
import { markSignedIn } from "@/lib/users/service";
import { normalizeEmail } from "@/lib/users/email";
import type { Passkey, User } from "@/db/schema";
import { isAddressAllowed } from "@/lib/policies/kinds";
import { metrics } from "@/lib/observability/metrics";
import { decryptSecret } from "./crypto";
import { verifyPassword } from "./password";
import { reserveSignInAttempt } from "./throttle";
import { hashRecoveryCode, matchTotp } from "./totp";
import { authenticationResponseSchema, challengeExpiry, parseCeremonyResponse, userHandleOf, verifyAssertion } from "./webauthn";

/** What a throttled user reads: when they may try again, in seconds under a minute, else in whole minutes. */
export function tooManyAttemptsMessage(retryAt: Date): string {
  const seconds = Math.max(1, Math.ceil((retryAt.getTime() - Date.now()) / 1000));
  if (seconds < 60) return `Too many attempts. Try again in ${seconds} second${seconds === 1 ? "" : "s"}.`;
  const minutes = Math.ceil(seconds / 60);
  return `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

/**
 * How the session was authenticated:
 * - "verified": password and a second factor (a passkey, a TOTP or recovery code), or a passkey alone;
 * - "password": password alone (MFA not required);
 * - "enroll": password alone while MFA is required and the user has no second factor yet: the session can only enrol.
 */
export type MfaState = "verified" | "password" | "enroll";

/** What a sign-in was made with, as its audit row names it. */
export type SignInMethod = "password" | "totp" | "passkey" | "recovery_code";
/** The second factors a user may be asked for after the password. */
export type SecondFactor = "passkey" | "totp";

export type SignInResult =
  | { ok: true; user: User; mfa: MfaState }
  | { ok: false; reason: "invalid_credentials" | "invalid_code" | "invalid_passkey" | "address_not_allowed"; retryAt?: undefined; factors?: undefined }
  | { ok: false; reason: "mfa_required"; factors: SecondFactor[]; retryAt?: undefined }
  | { ok: false; reason: "rate_limited"; retryAt: Date; factors?: undefined };

type Refusal = "invalid_credentials" | "invalid_code" | "invalid_passkey" | "address_not_allowed";

export interface SignInAttempt {
  email: string;
  password: string;
  /** A 6-digit TOTP code or a recovery code, on the second step. */
  code?: string;
  /** A passkey's answer to a sign-in challenge (the browser's JSON), on the second step. */
  passkey?: string;
  /** The organization's name, for an email that has accounts in several. */
  organization?: string;
  ip: string;
  userAgent: string | null;
}

const RECOVERY_CODE = /^[a-z0-9]{4}-?[a-z0-9]{4}-?[a-z0-9]{4}$/i;

type FactorCheck = { ok: true; method: SignInMethod } | { ok: false; reason: Refusal; details: string };

/** Checks a code: a TOTP code (each accepted once) or an unused recovery code. */
async function verifyCode(user: User, code: string, actor: Actor): Promise<FactorCheck> {
  const trimmed = code.trim();
  if (RECOVERY_CODE.test(trimmed)) {
    const spent = await spendRecoveryCode({ actor, userId: user.id, codeHash: hashRecoveryCode(trimmed) });
    return spent ? { ok: true, method: "recovery_code" } : { ok: false, reason: "invalid_code", details: "Wrong or used recovery code" };
  }
  if (!user.totpSecret || !user.totpEnabledAt) return { ok: false, reason: "invalid_code", details: "Wrong MFA code" };
  const step = matchTotp(decryptSecret(user.totpSecret), trimmed);
  return step !== null && (await acceptTotpStep({ userId: user.id, step })) ? { ok: true, method: "totp" } : { ok: false, reason: "invalid_code", details: "Wrong MFA code" };
}

/**
 * Checks a passkey's answer against the passkey stored for it, and records its use: the challenge is spent and the
 * signature counter moves forward in one transaction, so an answer counts once. A counter that goes backwards
 * means a cloned credential: it is refused, and the audit row says so.
 */
async function acceptPasskeyAnswer(passkey: Passkey, response: AuthenticationAnswer): Promise<FactorCheck> {
  const check = await verifyAssertion(response, passkey);
  if (!check.ok && check.reason === "counter_regressed") {
    return {
      ok: false,
      reason: "invalid_passkey",
      details: `Passkey "${passkey.name}" refused: its signature counter went backwards (${check.newCounter} after ${passkey.counter}), so the credential may have been cloned`,
    };
  }
  if (!check.ok) return { ok: false, reason: "invalid_passkey", details: `Passkey "${passkey.name}" refused: the answer did not verify` };
  const expiresAt = challengeExpiry(check.challenge, { kind: "sign_in" })!;
  const accepted = await getDb().transaction(async (tx) => {
    if (!(await spendChallenge({ challenge: check.challenge, expiresAt }, tx))) return false;
    return recordPasskeyUse({ id: passkey.id, checkedCounter: passkey.counter, newCounter: check.newCounter, backedUp: check.backedUp }, tx);
  });
  return accepted ? { ok: true, method: "passkey" } : { ok: false, reason: "invalid_passkey", details: `Passkey "${passkey.name}" refused: its challenge was already answered` };
}

type AuthenticationAnswer = z.output<typeof authenticationResponseSchema>;

/** The passkey an answer names, with its user, when its user handle (if given) agrees. */
async function answeringPasskey(answer: AuthenticationAnswer) {
  const found = await findPasskeyByCredentialId({ credentialId: answer.id });
  if (!found || (answer.response.userHandle !== undefined && answer.response.userHandle !== userHandleOf(found.user.id))) return null;
  return found;
}

/** The second step with a passkey: the answer must come from one of this user's passkeys. */
async function verifyPasskeyFactor(user: User, text: string): Promise<FactorCheck> {
  const answer = parseCeremonyResponse(authenticationResponseSchema, text);
  const found = answer && (await answeringPasskey(answer));
  if (!answer || !found || found.user.id !== user.id) return { ok: false, reason: "invalid_passkey", details: "Refused: not a passkey of this account" };
  return acceptPasskeyAnswer(found.passkey, answer);
}

/** A started attempt: the throttle's reservation, and who it is about. */
interface OpenAttempt {
  attemptId: number;
  user: User;
  actor: Actor;
  ip: string;
}

async function refuse({ attemptId, actor }: OpenAttempt, details: string): Promise<void> {
  await settleLoginAttempt({ id: attemptId, outcome: "failed" });
  await recordFailure(actor, { action: "login_failed", resource: `user:${actor.userId}`, details });
}

async function succeed({ attemptId, user, actor, ip }: OpenAttempt, mfa: MfaState, methods: SignInMethod[]): Promise<SignInResult> {
  await settleLoginAttempt({ id: attemptId, outcome: "succeeded" });
  await rememberSignInAddress({ userId: user.id, ip });
  const details = `Signed in with ${methods.join(" and ")}${mfa === "enroll" ? "; MFA enrolment required" : ""}`;
  await markSignedIn({ actor, user, details });
  return { ok: true, user, mfa };
}

/**
 * What the password step cannot decide alone: an account that is disabled, an address the IP allowlist refuses
 * (told only to whoever proved the account, so the allowlist is no oracle for guessers), and the policies a
 * session is checked against.
 */
async function accountGate(attempt: OpenAttempt): Promise<{ refusal: Refusal; details: string } | { refusal: null; mfaRequired: boolean; hasPasskey: boolean }> {
  const { user, ip } = attempt;
  if (user.disabledAt) return { refusal: "invalid_credentials", details: "Account disabled" };
  const session = await findSessionUser({ id: user.id, sessionVersion: user.sessionVersion });
  const allowlist = session?.requestPolicies.ip_allowlist;
  if (allowlist && !isAddressAllowed(allowlist, ip, "console")) return { refusal: "address_not_allowed", details: `refused: ${ip} is not on the IP allowlist` };
  return { refusal: null, mfaRequired: session?.mfaRequired ?? true, hasPasskey: session?.hasPasskey ?? false };
}

/**
 * The whole sign-in decision, independent of Auth.js: throttling, password, second factor, and the audit
 * trail. Messages never reveal whether an email exists, and an unknown email costs a full argon2id check.
 * Each attempt is counted before its check runs (lib/auth/throttle.ts), so concurrent guesses cannot slip past.
 */
async function passwordSignIn(attempt: SignInAttempt): Promise<SignInResult> {
  const email = normalizeEmail(attempt.email);
  const { ip } = attempt;
  const user = await findSignInUser({ email, organization: attempt.organization });
  // Audit rows belong to an organization: attempts on unknown emails are only counted, not audited.
  const actor: Actor | null = user && { orgId: user.orgId, userId: user.id, email: user.email, ip, userAgent: attempt.userAgent };
  const reservation = await reserveSignInAttempt({ email, ip, subject: actor && user && { actor, userId: user.id } });
  if (!reservation.ok) return { ok: false, reason: "rate_limited", retryAt: reservation.retryAt };

  const passwordOk = await verifyPassword(user?.passwordHash, attempt.password);
  if (!user || !actor || !passwordOk) {
    await settleLoginAttempt({ id: reservation.attemptId, outcome: "failed" });
    if (actor) await recordFailure(actor, { action: "login_failed", resource: `user:${actor.userId}`, details: "Wrong password" });
    return { ok: false, reason: "invalid_credentials" };
  }
  const open: OpenAttempt = { attemptId: reservation.attemptId, user, actor, ip };
  const gate = await accountGate(open);
  if (gate.refusal) {
    await refuse(open, gate.refusal === "address_not_allowed" ? `Correct password; ${gate.details}` : gate.details);
    return { ok: false, reason: gate.refusal };
  }

  const factors: SecondFactor[] = [...(gate.hasPasskey ? (["passkey"] as const) : []), ...(user.totpEnabledAt ? (["totp"] as const) : [])];
  const factor = attempt.passkey ? await verifyPasskeyFactor(user, attempt.passkey) : attempt.code ? await verifyCode(user, attempt.code, actor) : null;
  if (factor && !factor.ok) {
    await refuse(open, factor.details);
    return { ok: false, reason: factor.reason };
  }
  if (factor) return succeed(open, "verified", ["password", factor.method]);
  if (gate.mfaRequired && factors.length > 0) {
    // The password was right, but the attempt does not sign in: it counts, so that someone holding only the
    // password can neither probe nor fill the audit log without limit. The second step that follows forgives it.
    await refuse(open, "Correct password; refused until a second factor is given");
    return { ok: false, reason: "mfa_required", factors };
  }
  return succeed(open, gate.mfaRequired ? "enroll" : "password", ["password"]);
}

/**
 * A sign-in with a passkey alone: a discoverable credential with user verification, which is two factors on its
 * own. The passkey names the account; the account's throttle, status and IP allowlist apply as to a password.
 * An answer from an unknown credential names no account, so it is neither counted nor audited.
 */
async function passkeySignIn({ passkey, ip, userAgent }: { passkey: string; ip: string; userAgent: string | null }): Promise<SignInResult> {
  const answer = parseCeremonyResponse(authenticationResponseSchema, passkey);
  const found = answer && (await answeringPasskey(answer));
  if (!answer || !found) return { ok: false, reason: "invalid_passkey" };
  const { user } = found;
  const actor: Actor = { orgId: user.orgId, userId: user.id, email: user.email, ip, userAgent };
  const email = normalizeEmail(user.email);
  const reservation = await reserveSignInAttempt({ email, ip, subject: { actor, userId: user.id } });
  if (!reservation.ok) return { ok: false, reason: "rate_limited", retryAt: reservation.retryAt };
  const open: OpenAttempt = { attemptId: reservation.attemptId, user, actor, ip };
  const gate = await accountGate(open);
  if (gate.refusal) {
    await refuse(open, gate.refusal === "address_not_allowed" ? `Correct passkey; ${gate.details}` : gate.details);
    return { ok: false, reason: gate.refusal };
  }
  const check = await acceptPasskeyAnswer(found.passkey, answer);
  if (!check.ok) {
    await refuse(open, check.details);
    return { ok: false, reason: check.reason };
  }
  return succeed(open, "verified", ["passkey"]);
}

/**
 * Counts refused attempts for the metrics: throttled ones, and the others by reason. A password that must be
 * followed by a second factor is a step of a sign-in, not a failure.
 */
function counted(result: SignInResult): SignInResult {
  if (result.ok || result.reason === "mfa_required") return result;
  if (result.reason === "rate_limited") metrics().signInThrottled.inc();
  else metrics().signInFailures.inc({ reason: result.reason });
  return result;
}

/** A sign-in with a password, then a second factor when one is required: {@link passwordSignIn}. */
export async function attemptSignIn(attempt: SignInAttempt): Promise<SignInResult> {
  return counted(await passwordSignIn(attempt));
}

/** A sign-in with a passkey alone: {@link passkeySignIn}. */
export async function attemptPasskeySignIn(attempt: { passkey: string; ip: string; userAgent: string | null }): Promise<SignInResult> {
  return counted(await passkeySignIn(attempt));
}
