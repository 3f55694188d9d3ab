import "server-only";
import { getDb } from "@/db";
import { lockAuditChainHead } from "@/db/queries/audit-logs";
import {
  CHECKPOINT_ACTION,
  insertAuditCheckpoint,
  isCheckpointRow,
  latestAuditCheckpoint,
  orgsWithUncheckpointedRows,
} from "@/db/queries/audit-checkpoints";
import { listSigningKeys } from "@/db/queries/signing-keys";
import type { AuditCheckpoint, SigningKey } from "@/db/schema";
import { ApiError } from "@/lib/errors";
import { logError } from "@/lib/log";
import { signingKey, signWith } from "@/lib/signing/keys";
import { signingKeysRegistered } from "@/lib/signing/service";
import { checkpointPayload } from "./chain";
import { recordAudit, type Actor } from "./log";
import type { VerifiableCheckpoint } from "./verify";

/** A checkpoint as the API, the export, the audit row and the verifier carry it: the signed payload, its key id and signature. */
export type CheckpointJson = VerifiableCheckpoint;

export function toCheckpointJson(checkpoint: AuditCheckpoint): CheckpointJson {
  return { ...checkpointPayload(checkpoint), keyId: checkpoint.keyId, signature: checkpoint.signature };
}

/** A public key as `GET /api/audit-logs/keys` and the export serve it. */
export interface PublicKeyJson {
  keyId: string;
  algorithm: "Ed25519";
  publicKey: string;
  createdAt: string;
}

export function toPublicKeyJson(key: SigningKey): PublicKeyJson {
  return { keyId: key.keyId, algorithm: "Ed25519", publicKey: key.publicKey, createdAt: key.createdAt.toISOString() };
}

/** Every audit key this deployment has signed with, oldest first: old checkpoints stay verifiable after a rotation. */
export async function auditPublicKeys(): Promise<PublicKeyJson[]> {
  await signingKeysRegistered();
  return (await listSigningKeys({ purpose: "audit" })).map(toPublicKeyJson);
}

/** The periodic job signs as nobody: no user asked for it. */
const checkpointerActor = (orgId: string): Actor => ({ orgId, userId: null, email: null, userAgent: "palisade-checkpointer" });

/**
 * Signs the organization's chain head, stores the checkpoint and records it as an audit row (`after` is the
 * signed checkpoint, so the SIEM stream carries it), in one transaction holding the head's lock: no row can
 * join the chain between the head read and the signature.
 *
 * `onlyIfGrown` (the periodic job): nothing is signed when no row but the previous checkpoint's own record was
 * appended since, so an idle chain is not checkpointed forever. On demand, an empty chain answers 409.
 */
export async function signAuditCheckpoint({ actor, onlyIfGrown = false }: { actor: Actor; onlyIfGrown?: boolean }): Promise<AuditCheckpoint | null> {
  await signingKeysRegistered();
  const key = signingKey("audit");
  const orgId = actor.orgId;
  return getDb().transaction(async (tx) => {
    const head = await lockAuditChainHead({ orgId }, tx);
    if (head.position === 0) {
      if (onlyIfGrown) return null;
      throw ApiError.conflict("The audit chain is empty: there is nothing to sign yet");
    }
    const latest = await latestAuditCheckpoint({ orgId }, tx);
    if (latest && latest.position >= head.position) return onlyIfGrown ? null : latest;
    if (onlyIfGrown && latest && head.position === latest.position + 1 && (await isCheckpointRow({ orgId, position: head.position }, tx))) return null;

    const signedAt = new Date();
    const signature = signWith(key, checkpointPayload({ orgId, position: head.position, hash: head.hash, signedAt }));
    const stored = await insertAuditCheckpoint({ orgId, position: head.position, hash: head.hash, signedAt, keyId: signature.keyId, signature: signature.value }, tx);
    // Another instance signed this head first (the primary key kept its checkpoint, and its audit row).
    if (!stored) return onlyIfGrown ? null : latestAuditCheckpoint({ orgId }, tx);
    await recordAudit(
      actor,
      {
        action: CHECKPOINT_ACTION,
        resource: "audit-chain",
        details: `Signed audit checkpoint at position ${stored.position} with key ${stored.keyId}`,
        success: true,
        after: toCheckpointJson(stored),
      },
      tx,
    );
    return stored;
  });
}

/** The periodic job: a checkpoint of every organization whose chain grew since its last one. Returns how many were signed. */
export async function checkpointGrownChains(): Promise<number> {
  let signed = 0;
  for (const orgId of await orgsWithUncheckpointedRows()) {
    try {
      if (await signAuditCheckpoint({ actor: checkpointerActor(orgId), onlyIfGrown: true })) signed += 1;
    } catch (error) {
      logError("signing an audit checkpoint", error);
    }
  }
  return signed;
}
