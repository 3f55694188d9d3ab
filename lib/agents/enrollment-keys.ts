import "server-only";
import { insertEnrollmentKey, revokeEnrollmentKeyRow, type PublicEnrollmentKey } from "@/db/queries/enrollment-keys";
import { getDb } from "@/db";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";
import { issueSecret } from "@/lib/auth/secrets";
import { newEnrollmentKeyId } from "@/lib/ids";
import { enrollmentKeyExpiry } from "./schemas";

/** A new key and its secret, which is returned this once: only its hash is stored. */
export interface IssuedEnrollmentKey {
  key: PublicEnrollmentKey;
  secret: string;
}

/** Creates an enrollment key of the actor's organization, expiring after `expiresHours`, audited. */
export function createEnrollmentKey({ actor, maxUses, expiresHours }: { actor: Actor; maxUses: number | null; expiresHours: number }): Promise<IssuedEnrollmentKey> {
  const issued = issueSecret("enrollmentKey");
  const expiresAt = enrollmentKeyExpiry(expiresHours);
  return getDb().transaction(async (tx) => {
    const key = await insertEnrollmentKey(
      { id: newEnrollmentKeyId(), orgId: actor.orgId, keyHash: issued.hash, keyPrefix: issued.displayPrefix, maxUses, expiresAt, createdBy: actor.email },
      tx,
    );
    await recordAudit(
      actor,
      {
        action: "create_enrollment_key",
        resource: `enrollment-key:${key.id}`,
        details: `Created enrollment key ${key.keyPrefix}… (${maxUses ?? "unlimited"} uses, expires ${expiresAt.toISOString()})`,
        success: true,
        after: key,
      },
      tx,
    );
    return { key, secret: issued.secret };
  });
}

/** Revokes a key of the actor's organization. False, and audited, when there is no such unrevoked key. */
export async function revokeEnrollmentKey({ actor, id }: { actor: Actor; id: string }): Promise<boolean> {
  const revoked = await getDb().transaction(async (tx) => {
    const key = await revokeEnrollmentKeyRow({ orgId: actor.orgId, id }, tx);
    if (!key) return false;
    await recordAudit(actor, { action: "revoke_enrollment_key", resource: `enrollment-key:${key.id}`, details: `Revoked enrollment key ${key.keyPrefix}…`, success: true }, tx);
    return true;
  });
  if (!revoked) await recordFailure(actor, { action: "revoke_enrollment_key", resource: `enrollment-key:${id}`, details: "Refused: no such live key" });
  return revoked;
}
