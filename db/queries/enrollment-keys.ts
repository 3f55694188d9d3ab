import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { getDb, type Tx } from "@/db";
import { enrollmentKeys, type EnrollmentKey } from "@/db/schema";
import { newEnrollmentKeyId } from "@/lib/ids";
import { recordAudit, type Actor } from "@/lib/audit/log";

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

export async function createEnrollmentKey({
  actor,
  keyHash,
  keyPrefix,
  maxUses,
  expiresAt,
}: {
  actor: Actor;
  keyHash: string;
  keyPrefix: string;
  maxUses: number | null;
  expiresAt: Date | null;
}): Promise<PublicEnrollmentKey> {
  return getDb().transaction(async (tx) => {
    const [key] = await tx
      .insert(enrollmentKeys)
      .values({ id: newEnrollmentKeyId(), orgId: actor.orgId, keyHash, keyPrefix, maxUses, expiresAt, createdBy: actor.email })
      .returning(publicColumns);
    if (!key) throw new Error("enrollment key insert returned no row");
    await recordAudit(actor, {
      action: "create_enrollment_key",
      resource: `enrollment-key:${key.id}`,
      details: `Created enrollment key ${key.keyPrefix}… (${maxUses ?? "unlimited"} uses${expiresAt ? `, expires ${expiresAt.toISOString()}` : ""})`,
      success: true,
      after: key,
    }, tx);
    return key;
  });
}

export function listEnrollmentKeys({ orgId }: { orgId: string }): Promise<PublicEnrollmentKey[]> {
  return getDb().select(publicColumns).from(enrollmentKeys).where(eq(enrollmentKeys.orgId, orgId)).orderBy(desc(enrollmentKeys.createdAt));
}

/** Revokes a key of the actor's organization. False when there is no such unrevoked key. */
export async function revokeEnrollmentKey({ actor, id }: { actor: Actor; id: string }): Promise<boolean> {
  return getDb().transaction(async (tx) => {
    const [key] = await tx
      .update(enrollmentKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(enrollmentKeys.id, id), eq(enrollmentKeys.orgId, actor.orgId), isNull(enrollmentKeys.revokedAt)))
      .returning({ id: enrollmentKeys.id, keyPrefix: enrollmentKeys.keyPrefix });
    if (!key) return false;
    await recordAudit(actor, {
      action: "revoke_enrollment_key",
      resource: `enrollment-key:${key.id}`,
      details: `Revoked enrollment key ${key.keyPrefix}…`,
      success: true,
    }, tx);
    return true;
  });
}

/**
 * Spends one use of a live key in one statement (no read-modify-write), inside the enrolment transaction,
 * so a key with N uses enrols exactly N agents however many race. Null when the key is unknown, revoked,
 * expired or used up.
 */
export async function consumeEnrollmentKey(tx: Tx, { keyHash }: { keyHash: string }): Promise<{ id: string; orgId: string } | null> {
  const [key] = await tx
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
