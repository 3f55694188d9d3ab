import { createHash } from "node:crypto";
import { and, asc, count, eq, lt, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { passkeys, spentWebauthnChallenges, users, type Passkey, type User } from "@/db/schema";

/** A user's passkeys, oldest first. */
export function listPasskeys({ userId }: { userId: string }, executor: Executor = getDb()): Promise<Passkey[]> {
  return executor.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt), asc(passkeys.id));
}

/** The passkey with this credential id, and its user; null when no user has it. */
export async function findPasskeyByCredentialId({ credentialId }: { credentialId: string }): Promise<{ passkey: Passkey; user: User } | null> {
  const [row] = await getDb().select({ passkey: passkeys, user: users }).from(passkeys).innerJoin(users, eq(users.id, passkeys.userId)).where(eq(passkeys.credentialId, credentialId));
  return row ?? null;
}

/** Stores a new passkey; null when that credential is already registered (to anyone). */
export async function insertPasskey(values: typeof passkeys.$inferInsert, executor: Executor): Promise<Passkey | null> {
  const [created] = await executor.insert(passkeys).values(values).onConflictDoNothing({ target: passkeys.credentialId }).returning();
  return created ?? null;
}

export async function renamePasskey({ userId, id, name }: { userId: string; id: string; name: string }, executor: Executor): Promise<Passkey | null> {
  const [renamed] = await executor
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
    .returning();
  return renamed ?? null;
}

export async function deletePasskey({ userId, id }: { userId: string; id: string }, executor: Executor): Promise<Passkey | null> {
  const [deleted] = await executor
    .delete(passkeys)
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
    .returning();
  return deleted ?? null;
}

/** How many passkeys each user of the organization has (users without one are absent). */
export async function countPasskeysByUser({ orgId }: { orgId: string }): Promise<Map<string, number>> {
  const rows = await getDb().select({ userId: passkeys.userId, value: count() }).from(passkeys).where(eq(passkeys.orgId, orgId)).groupBy(passkeys.userId);
  return new Map(rows.map((row) => [row.userId, row.value]));
}

export async function countPasskeys({ userId }: { userId: string }, executor: Executor = getDb()): Promise<number> {
  const [row] = await executor.select({ value: count() }).from(passkeys).where(eq(passkeys.userId, userId));
  return row?.value ?? 0;
}

/**
 * Records a use of the passkey: its new signature counter, provided the counter is still the one the assertion was
 * checked against (two concurrent uses cannot both move it), and when it was used.
 */
export async function recordPasskeyUse(
  { id, checkedCounter, newCounter, backedUp }: { id: string; checkedCounter: number; newCounter: number; backedUp: boolean },
  executor: Executor,
): Promise<boolean> {
  const used = await executor
    .update(passkeys)
    .set({ counter: newCounter, backedUp, lastUsedAt: sql`now()` })
    .where(and(eq(passkeys.id, id), eq(passkeys.counter, checkedCounter)))
    .returning({ id: passkeys.id });
  return used.length === 1;
}

/** Marks a challenge answered; false when it already was (a replay). */
export async function spendChallenge({ challenge, expiresAt }: { challenge: string; expiresAt: Date }, executor: Executor): Promise<boolean> {
  const challengeHash = createHash("sha256").update(challenge).digest("base64url");
  const spent = await executor.insert(spentWebauthnChallenges).values({ challengeHash, expiresAt }).onConflictDoNothing().returning({ hash: spentWebauthnChallenges.challengeHash });
  return spent.length === 1;
}

/** Forgets answered challenges once they have expired: they can no longer be answered anyway. */
export async function pruneSpentChallenges(): Promise<void> {
  await getDb().delete(spentWebauthnChallenges).where(lt(spentWebauthnChallenges.expiresAt, sql`now()`));
}
