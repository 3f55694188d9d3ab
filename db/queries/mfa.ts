import { and, count, eq, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { mfaEnrollments, passkeys, recoveryCodes, users } from "@/db/schema";

const enrollmentOf = ({ userId, sessionId }: { userId: string; sessionId: string }) => and(eq(mfaEnrollments.userId, userId), eq(mfaEnrollments.sessionId, sessionId));

/** Starts a session's enrolment with this secret, unless it has one already. Returns the secret stored, if new. */
export async function insertPendingEnrollment(
  { userId, sessionId, sealedSecret }: { userId: string; sessionId: string; sealedSecret: string },
  executor: Executor = getDb(),
): Promise<string | null> {
  const [created] = await executor.insert(mfaEnrollments).values({ userId, sessionId, totpSecret: sealedSecret }).onConflictDoNothing().returning();
  return created?.totpSecret ?? null;
}

/** The secret a session is enrolling, null when it has none pending. With `lock`, the row stays locked. */
export async function findPendingTotpSecret(
  { userId, sessionId, lock = false }: { userId: string; sessionId: string; lock?: boolean },
  executor: Executor = getDb(),
): Promise<string | null> {
  const query = executor
    .select({ totpSecret: mfaEnrollments.totpSecret })
    .from(mfaEnrollments)
    .where(and(enrollmentOf({ userId, sessionId }), isNull(mfaEnrollments.completedAt)));
  const [pending] = lock ? await query.for("update") : await query;
  return pending?.totpSecret ?? null;
}

/** Whether the user has no TOTP authenticator yet. */
export async function lacksTotp({ userId }: { userId: string }, executor: Executor = getDb()): Promise<boolean> {
  const [user] = await executor
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)));
  return user !== undefined;
}

/**
 * Turns TOTP on with this secret and ends every session of the user, unless they already enrolled. Returns the
 * new session version, or null.
 */
export async function enableTotp({ userId, sealedSecret, step }: { userId: string; sealedSecret: string; step: number }, executor: Executor): Promise<number | null> {
  const [enrolled] = await executor
    .update(users)
    .set({ totpSecret: sealedSecret, totpEnabledAt: sql`now()`, totpLastStep: step, sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)))
    .returning({ sessionVersion: users.sessionVersion });
  return enrolled?.sessionVersion ?? null;
}

/**
 * Marks a session's enrolment complete (creating it for a passkey, which has no pending secret), granting it the
 * session version it may take up; drops the user's other pending enrolments.
 */
export async function completeEnrollment({ userId, sessionId, grantedSessionVersion }: { userId: string; sessionId: string; grantedSessionVersion: number }, executor: Executor): Promise<void> {
  await executor
    .insert(mfaEnrollments)
    .values({ userId, sessionId, completedAt: sql`now()`, grantedSessionVersion })
    .onConflictDoUpdate({ target: [mfaEnrollments.userId, mfaEnrollments.sessionId], set: { completedAt: sql`now()`, grantedSessionVersion } });
  await executor.delete(mfaEnrollments).where(and(eq(mfaEnrollments.userId, userId), isNull(mfaEnrollments.completedAt)));
}

export interface SecondFactors {
  totp: boolean;
  passkeys: number;
}

/**
 * The user's second factors, with the user's row locked until the transaction ends: changes to a user's factors
 * take turns, so two cannot both find themselves adding the first or removing the last.
 */
export async function lockSecondFactors({ userId }: { userId: string }, executor: Executor): Promise<SecondFactors | null> {
  const [user] = await executor.select({ totpEnabledAt: users.totpEnabledAt }).from(users).where(eq(users.id, userId)).for("update");
  if (!user) return null;
  const [keys] = await executor.select({ value: count() }).from(passkeys).where(eq(passkeys.userId, userId));
  return { totp: user.totpEnabledAt !== null, passkeys: keys?.value ?? 0 };
}

/** Ends every session of the user for a new second factor; returns the new session version. */
export async function bumpSessionVersion({ userId }: { userId: string }, executor: Executor): Promise<number | null> {
  const [user] = await executor
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(eq(users.id, userId))
    .returning({ sessionVersion: users.sessionVersion });
  return user?.sessionVersion ?? null;
}

/**
 * The session version a session that just completed its enrolment moves to, once: the grant is spent by the
 * first call. Null for any session that did not complete an enrolment.
 */
export async function claimEnrollmentUpgrade({ userId, sessionId }: { userId: string; sessionId: string }): Promise<number | null> {
  const [grant] = await getDb()
    .delete(mfaEnrollments)
    .where(and(enrollmentOf({ userId, sessionId }), isNotNull(mfaEnrollments.completedAt)))
    .returning({ sessionVersion: mfaEnrollments.grantedSessionVersion });
  return grant?.sessionVersion ?? null;
}

/** Enrolments abandoned (or upgrades never claimed) for longer than `olderThanMs` are dropped. */
export async function pruneMfaEnrollments({ olderThanMs }: { olderThanMs: number }): Promise<void> {
  await getDb()
    .delete(mfaEnrollments)
    .where(lt(mfaEnrollments.createdAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`));
}

/** Replaces the user's recovery codes. */
export async function replaceRecoveryCodes({ userId, codeHashes }: { userId: string; codeHashes: string[] }, executor: Executor): Promise<void> {
  await executor.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  if (codeHashes.length > 0) await executor.insert(recoveryCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash })));
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

/** Marks an unused recovery code used; false when it is unknown or already used. */
export async function markRecoveryCodeUsed({ userId, codeHash }: { userId: string; codeHash: string }, executor: Executor): Promise<boolean> {
  const spent = await executor
    .update(recoveryCodes)
    .set({ usedAt: sql`now()` })
    .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, codeHash), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id });
  return spent.length === 1;
}

export async function countUnusedRecoveryCodes({ userId }: { userId: string }, executor: Executor = getDb()): Promise<number> {
  const [left] = await executor
    .select({ value: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return left?.value ?? 0;
}

/**
 * Clears a user's TOTP, recovery codes, passkeys and pending enrolments, and ends their sessions, in the
 * organization. Returns the user's email and how many passkeys went, or null when the organization has no such user.
 */
export async function clearMfa({ orgId, userId }: { orgId: string; userId: string }, executor: Executor): Promise<{ email: string; passkeys: number } | null> {
  const [user] = await executor
    .update(users)
    .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null, sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(and(eq(users.id, userId), eq(users.orgId, orgId)))
    .returning({ email: users.email });
  if (!user) return null;
  await executor.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await executor.delete(mfaEnrollments).where(eq(mfaEnrollments.userId, userId));
  const removed = await executor.delete(passkeys).where(eq(passkeys.userId, userId)).returning({ id: passkeys.id });
  return { email: user.email, passkeys: removed.length };
}
