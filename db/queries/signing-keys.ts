import { asc, eq, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { signingKeys, type SigningKey } from "@/db/schema";
import type { SigningKeyPurpose } from "@/lib/signing/constants";

/** Records a public key this deployment signs with; a key seen again keeps its first record, gaining an endorsement it lacked. */
export async function registerSigningKey(key: { keyId: string; purpose: SigningKeyPurpose; publicKey: string; endorsedBy: string | null; endorsement: string | null }): Promise<void> {
  await getDb()
    .insert(signingKeys)
    .values(key)
    .onConflictDoUpdate({
      target: signingKeys.keyId,
      set: {
        endorsedBy: sql`coalesce(${signingKeys.endorsedBy}, excluded.endorsed_by)`,
        endorsement: sql`coalesce(${signingKeys.endorsement}, excluded.endorsement)`,
      },
    });
}

/** Every key of a purpose, oldest first: the current one and those rotated out, whose signatures stay verifiable. */
export async function listSigningKeys({ purpose }: { purpose: SigningKeyPurpose }): Promise<SigningKey[]> {
  return getDb().select().from(signingKeys).where(eq(signingKeys.purpose, purpose)).orderBy(asc(signingKeys.createdAt), asc(signingKeys.keyId));
}
