import { and, count, eq, isNull, lt, or, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { recoveryCodes, users } from "@/db/schema";
import { insertAuditLog, type Actor } from "./audit-logs";

/**
 * Stores a new pending TOTP secret unless one is already pending, and returns the pending one, so
 * reloading the enrolment page shows the same QR code. Null when the user has already enrolled.
 */
export async function pendingTotpSecret({ userId, sealedCandidate }: { userId: string; sealedCandidate: string }): Promise<string | null> {
  const [row] = await getDb()
    .update(users)
    .set({ totpSecret: sql`coalesce(${users.totpSecret}, ${sealedCandidate})` })
    .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)))
    .returning({ totpSecret: users.totpSecret });
  return row?.totpSecret ?? null;
}

/** Turns the pending secret on, replaces the recovery codes, and audits it. False if already enrolled. */
export async function completeTotpEnrollment({
  actor,
  userId,
  step,
  recoveryCodeHashes,
}: {
  actor: Actor;
  userId: string;
  step: number;
  recoveryCodeHashes: string[];
}): Promise<boolean> {
  return getDb().transaction(async (tx) => {
    const [enrolled] = await tx
      .update(users)
      .set({ totpEnabledAt: sql`now()`, totpLastStep: step })
      .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)))
      .returning({ id: users.id });
    if (!enrolled) return false;
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    await tx.insert(recoveryCodes).values(recoveryCodeHashes.map((codeHash) => ({ userId, codeHash })));
    await insertAuditLog(tx, actor, {
      action: "mfa_enroll",
      resource: `user:${userId}`,
      details: `Enrolled a TOTP authenticator and ${recoveryCodeHashes.length} recovery codes`,
      success: true,
    });
    return true;
  });
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
    await insertAuditLog(tx, actor, {
      action: "mfa_recovery_code_used",
      resource: `user:${userId}`,
      details: `Signed in with a recovery code; ${left?.value ?? 0} left`,
      success: true,
    });
    return true;
  });
}

export async function countUnusedRecoveryCodes({ userId }: { userId: string }): Promise<number> {
  const [row] = await getDb()
    .select({ value: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return row?.value ?? 0;
}

/**
 * An admin clears a user's TOTP and recovery codes in the admin's organization, and ends the user's
 * sessions; the user enrols again at the next sign-in while MFA is required. False if no such user.
 */
export async function resetMfa({ actor, userId }: { actor: Actor; userId: string }): Promise<boolean> {
  return getDb().transaction(async (tx) => {
    const [user] = await tx
      .update(users)
      .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null, sessionVersion: sql`${users.sessionVersion} + 1` })
      .where(and(eq(users.id, userId), eq(users.orgId, actor.orgId)))
      .returning({ id: users.id, email: users.email });
    if (!user) return false;
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    await insertAuditLog(tx, actor, {
      action: "mfa_reset",
      resource: `user:${user.id}`,
      details: `Reset MFA for ${user.email}`,
      success: true,
    });
    return true;
  });
}
