import { and, count, eq, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { mfaEnrollments, recoveryCodes, users } from "@/db/schema";
import { revokeTokensOf } from "./api-tokens";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";

/**
 * The TOTP secret this session is enrolling, created from `sealedCandidate` on the session's first visit, so
 * reloading the enrolment page shows the same QR code. Each session has its own: one that only knows the
 * password never sees the secret another session enrols. Null when the user has already enrolled.
 */
export async function pendingTotpSecret({ userId, sessionId, sealedCandidate }: { userId: string; sessionId: string; sealedCandidate: string }): Promise<string | null> {
  return getDb().transaction(async (tx) => {
    const [user] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)));
    if (!user) return null;
    const [created] = await tx.insert(mfaEnrollments).values({ userId, sessionId, totpSecret: sealedCandidate }).onConflictDoNothing().returning();
    if (created) return created.totpSecret;
    const [pending] = await tx
      .select({ totpSecret: mfaEnrollments.totpSecret })
      .from(mfaEnrollments)
      .where(and(eq(mfaEnrollments.userId, userId), eq(mfaEnrollments.sessionId, sessionId), isNull(mfaEnrollments.completedAt)));
    return pending?.totpSecret ?? null;
  });
}

/** The secret this session is enrolling, without starting an enrolment: null when it has none pending. */
export async function findPendingTotpSecret({ userId, sessionId }: { userId: string; sessionId: string }): Promise<string | null> {
  const [pending] = await getDb()
    .select({ totpSecret: mfaEnrollments.totpSecret })
    .from(mfaEnrollments)
    .where(and(eq(mfaEnrollments.userId, userId), eq(mfaEnrollments.sessionId, sessionId), isNull(mfaEnrollments.completedAt)));
  return pending?.totpSecret ?? null;
}

export type EnrollmentOutcome = "enrolled" | "already_enrolled" | "expired";

/**
 * Turns this session's pending secret on, replaces the recovery codes, and audits it, in one transaction. The
 * session version is bumped, which ends every other session of the user; the enrolment records the new version
 * so that the completing session, and no other, can take it up (see {@link claimEnrollmentUpgrade}).
 */
export async function completeTotpEnrollment({
  actor,
  userId,
  sessionId,
  sealedSecret,
  step,
  recoveryCodeHashes,
}: {
  actor: Actor;
  userId: string;
  sessionId: string;
  /** The secret the code was checked against: enrolment fails if the session's pending secret changed meanwhile. */
  sealedSecret: string;
  step: number;
  recoveryCodeHashes: string[];
}): Promise<EnrollmentOutcome> {
  return getDb().transaction(async (tx) => {
    const [pending] = await tx
      .select({ totpSecret: mfaEnrollments.totpSecret })
      .from(mfaEnrollments)
      .where(and(eq(mfaEnrollments.userId, userId), eq(mfaEnrollments.sessionId, sessionId), isNull(mfaEnrollments.completedAt)))
      .for("update");
    if (!pending || pending.totpSecret !== sealedSecret) return "expired";
    const [enrolled] = await tx
      .update(users)
      .set({ totpSecret: pending.totpSecret, totpEnabledAt: sql`now()`, totpLastStep: step, sessionVersion: sql`${users.sessionVersion} + 1` })
      .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)))
      .returning({ sessionVersion: users.sessionVersion });
    if (!enrolled) return "already_enrolled";
    await tx
      .update(mfaEnrollments)
      .set({ completedAt: sql`now()`, grantedSessionVersion: enrolled.sessionVersion })
      .where(and(eq(mfaEnrollments.userId, userId), eq(mfaEnrollments.sessionId, sessionId)));
    await tx.delete(mfaEnrollments).where(and(eq(mfaEnrollments.userId, userId), isNull(mfaEnrollments.completedAt)));
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    await tx.insert(recoveryCodes).values(recoveryCodeHashes.map((codeHash) => ({ userId, codeHash })));
    await recordAudit(actor, {
      action: "mfa_enroll",
      resource: `user:${userId}`,
      details: `Enrolled a TOTP authenticator and ${recoveryCodeHashes.length} recovery codes; every other session ended`,
      success: true,
    }, tx);
    return "enrolled";
  });
}

/**
 * The session version a session that just completed its enrolment moves to, once: the grant is spent by the
 * first call. Null for any session that did not complete an enrolment.
 */
export async function claimEnrollmentUpgrade({ userId, sessionId }: { userId: string; sessionId: string }): Promise<number | null> {
  const [grant] = await getDb()
    .delete(mfaEnrollments)
    .where(and(eq(mfaEnrollments.userId, userId), eq(mfaEnrollments.sessionId, sessionId), isNotNull(mfaEnrollments.completedAt)))
    .returning({ sessionVersion: mfaEnrollments.grantedSessionVersion });
  return grant?.sessionVersion ?? null;
}

/** Enrolments abandoned (or upgrades never claimed) for longer than `olderThanMs` are dropped. */
export async function pruneMfaEnrollments({ olderThanMs }: { olderThanMs: number }): Promise<void> {
  await getDb()
    .delete(mfaEnrollments)
    .where(lt(mfaEnrollments.createdAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`));
}

/** Accepts a TOTP time step once: a later step than any accepted before. Atomic, so a code cannot be replayed. */
export async function acceptTotpStep({ userId, step }: { userId: string; step: number }): Promise<boolean> {
  const accepted = await getDb()
    .update(users)
    .set({ totpLastStep: step })
    .where(and(eq(users.id, userId), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
    .returning({ id: users.id });
  return accepted.length === 1;
}

/** Spends a recovery code, and audits it. False when the code is unknown or already used. */
export async function spendRecoveryCode({ actor, userId, codeHash }: { actor: Actor; userId: string; codeHash: string }): Promise<boolean> {
  return getDb().transaction(async (tx) => {
    const spent = await tx
      .update(recoveryCodes)
      .set({ usedAt: sql`now()` })
      .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, codeHash), isNull(recoveryCodes.usedAt)))
      .returning({ id: recoveryCodes.id });
    if (spent.length === 0) return false;
    const [left] = await tx
      .select({ value: count() })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
    await recordAudit(actor, {
      action: "mfa_recovery_code_used",
      resource: `user:${userId}`,
      details: `Signed in with a recovery code; ${left?.value ?? 0} left`,
      success: true,
    }, tx);
    return true;
  });
}

/**
 * An admin clears a user's TOTP and recovery codes in the admin's organization, ends the user's sessions and
 * revokes their API tokens (a reset usually follows a lost or stolen device, and a token minted from a stolen
 * session must not outlive it); the user enrols again at the next sign-in while MFA is required. False if no
 * such user.
 */
export async function resetMfa({ actor, userId }: { actor: Actor; userId: string }): Promise<boolean> {
  const reset = await getDb().transaction(async (tx) => {
    const [user] = await tx
      .update(users)
      .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null, sessionVersion: sql`${users.sessionVersion} + 1` })
      .where(and(eq(users.id, userId), eq(users.orgId, actor.orgId)))
      .returning({ id: users.id, email: users.email });
    if (!user) return false;
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    await tx.delete(mfaEnrollments).where(eq(mfaEnrollments.userId, userId));
    const revoked = await revokeTokensOf(tx, userId);
    await recordAudit(actor, {
      action: "mfa_reset",
      resource: `user:${user.id}`,
      details: `Reset MFA for ${user.email}; every session ended and ${revoked} API token(s) revoked`,
      success: true,
    }, tx);
    return true;
  });
  if (!reset) await recordFailure(actor, { action: "mfa_reset", resource: `user:${userId}`, details: "Refused: user not found" });
  return reset;
}
