import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { enrollmentKeys, type EnrollmentKey } from "@/db/schema";

export type PublicEnrollmentKey = Omit<EnrollmentKey, "keyHash">;

const publicColumns = {
  id: enrollmentKeys.id,
  orgId: enrollmentKeys.orgId,
  keyPrefix: enrollmentKeys.keyPrefix,
  maxUses: enrollmentKeys.maxUses,
  uses: enrollmentKeys.uses,
  expiresAt: enrollmentKeys.expiresAt,
  revokedAt: enrollmentKeys.revokedAt,
  createdBy: enrollmentKeys.createdBy,
  createdAt: enrollmentKeys.createdAt,
};

export async function insertEnrollmentKey(values: typeof enrollmentKeys.$inferInsert, executor: Executor = getDb()): Promise<PublicEnrollmentKey> {
  const [key] = await executor.insert(enrollmentKeys).values(values).returning(publicColumns);
  if (!key) throw new Error("enrollment key insert returned no row");
  return key;
}

export function listEnrollmentKeys({ orgId }: { orgId: string }): Promise<PublicEnrollmentKey[]> {
  return getDb().select(publicColumns).from(enrollmentKeys).where(eq(enrollmentKeys.orgId, orgId)).orderBy(desc(enrollmentKeys.createdAt));
}

/** Revokes a live key of the organization. Null when there is none. */
export async function revokeEnrollmentKeyRow({ orgId, id }: { orgId: string; id: string }, executor: Executor = getDb()): Promise<{ id: string; keyPrefix: string } | null> {
  const [key] = await executor
    .update(enrollmentKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(enrollmentKeys.id, id), eq(enrollmentKeys.orgId, orgId), isNull(enrollmentKeys.revokedAt)))
    .returning({ id: enrollmentKeys.id, keyPrefix: enrollmentKeys.keyPrefix });
  return key ?? null;
}

/**
 * Spends one use of a live key in one statement (no read-modify-write), so a key with N uses enrols exactly N
 * agents however many race. Null when the key is unknown, revoked, expired or used up.
 */
export async function consumeEnrollmentKey({ keyHash }: { keyHash: string }, executor: Executor): Promise<{ id: string; orgId: string } | null> {
  const [key] = await executor
    .update(enrollmentKeys)
    .set({ uses: sql`${enrollmentKeys.uses} + 1` })
    .where(
      and(
        eq(enrollmentKeys.keyHash, keyHash),
        isNull(enrollmentKeys.revokedAt),
        or(isNull(enrollmentKeys.expiresAt), gt(enrollmentKeys.expiresAt, sql`now()`)),
        or(isNull(enrollmentKeys.maxUses), sql`${enrollmentKeys.uses} < ${enrollmentKeys.maxUses}`),
      ),
    )
    .returning({ id: enrollmentKeys.id, orgId: enrollmentKeys.orgId });
  return key ?? null;
}
