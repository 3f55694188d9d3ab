import "server-only";
import { revokeTokensOf } from "@/db/queries/api-tokens";
import {
  clearMfa,
  completeEnrollment,
  countUnusedRecoveryCodes,
  enableTotp,
  findPendingTotpSecret,
  insertPendingEnrollment,
  lacksTotp,
  lockSecondFactors,
  markRecoveryCodeUsed,
  replaceRecoveryCodes,
} from "@/db/queries/mfa";
import { getDb } from "@/db";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";
import type { MfaState } from "./sign-in";

/**
 * The secret this session is enrolling, created from `sealedCandidate` on the session's first visit, so
 * reloading the enrolment page shows the same QR code. Each session has its own: one that only knows the
 * password never sees the secret another session (the real user) enrols. Null when the user has already enrolled.
 */
export function pendingTotpSecret({ userId, sessionId, sealedCandidate }: { userId: string; sessionId: string; sealedCandidate: string }): Promise<string | null> {
  return getDb().transaction(async (tx) => {
    if (!(await lacksTotp({ userId }, tx))) return null;
    return (await insertPendingEnrollment({ userId, sessionId, sealedSecret: sealedCandidate }, tx)) ?? (await findPendingTotpSecret({ userId, sessionId }, tx));
  });
}

export type EnrollmentOutcome = "enrolled" | "already_enrolled" | "expired" | "step_up_required";

/**
 * Turns this session's pending secret on, replaces the recovery codes, and audits it, in one transaction. The
 * session version is bumped, which ends every other session of the user; the enrolment records the new version
 * so that the completing session, and no other, can take it up (claimEnrollmentUpgrade, in Auth.js's jwt callback).
 */
export function completeTotpEnrollment(input: {
  actor: Actor;
  userId: string;
  sessionId: string;
  /** How the session signed in: a user with a passkey adds TOTP only from a session that proved a second factor. */
  mfa: MfaState;
  /** The secret the code was checked against: enrolment fails if the session's pending secret changed meanwhile. */
  sealedSecret: string;
  step: number;
  recoveryCodeHashes: string[];
}): Promise<EnrollmentOutcome> {
  const { actor, userId, sessionId, mfa, sealedSecret, step, recoveryCodeHashes } = input;
  return getDb().transaction(async (tx) => {
    const factors = await lockSecondFactors({ userId }, tx);
    if (factors && factors.passkeys > 0 && mfa !== "verified") return "step_up_required";
    const pending = await findPendingTotpSecret({ userId, sessionId, lock: true }, tx);
    if (pending !== sealedSecret) return "expired";
    const grantedSessionVersion = await enableTotp({ userId, sealedSecret, step }, tx);
    if (grantedSessionVersion === null) return "already_enrolled";
    await completeEnrollment({ userId, sessionId, grantedSessionVersion }, tx);
    await replaceRecoveryCodes({ userId, codeHashes: recoveryCodeHashes }, tx);
    await recordAudit(
      actor,
      {
        action: "mfa_enroll",
        resource: `user:${userId}`,
        details: `Enrolled a TOTP authenticator and ${recoveryCodeHashes.length} recovery codes; every other session ended`,
        success: true,
      },
      tx,
    );
    return "enrolled";
  });
}

/** Spends a recovery code, and audits it with how many are left. False when the code is unknown or already used. */
export function spendRecoveryCode({ actor, userId, codeHash }: { actor: Actor; userId: string; codeHash: string }): Promise<boolean> {
  return getDb().transaction(async (tx) => {
    if (!(await markRecoveryCodeUsed({ userId, codeHash }, tx))) return false;
    const left = await countUnusedRecoveryCodes({ userId }, tx);
    await recordAudit(actor, { action: "mfa_recovery_code_used", resource: `user:${userId}`, details: `Signed in with a recovery code; ${left} left`, success: true }, tx);
    return true;
  });
}

/**
 * An admin clears a user's TOTP, recovery codes and passkeys in the admin's organization, ends the user's sessions and
 * revokes their API tokens (a reset usually follows a lost or stolen device, and a token minted from a stolen
 * session must not outlive it); the user enrols again at the next sign-in while MFA is required. False, and
 * audited, when there is no such user.
 */
export async function resetMfa({ actor, userId }: { actor: Actor; userId: string }): Promise<boolean> {
  const reset = await getDb().transaction(async (tx) => {
    const cleared = await clearMfa({ orgId: actor.orgId, userId }, tx);
    if (cleared === null) return false;
    const revoked = await revokeTokensOf({ userId }, tx);
    await recordAudit(
      actor,
      { action: "mfa_reset", resource: `user:${userId}`, details: `Reset MFA for ${cleared.email} (authenticator app, recovery codes and ${cleared.passkeys} passkey(s)); every session ended and ${revoked} API token(s) revoked`, success: true },
      tx,
    );
    return true;
  });
  if (!reset) await recordFailure(actor, { action: "mfa_reset", resource: `user:${userId}`, details: "Refused: user not found" });
  return reset;
}
