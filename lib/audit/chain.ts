import { createHash } from "node:crypto";
import { canonicalJson } from "@/lib/signing/keys";

// Pure: the offline verifier (scripts/verify-audit-export.ts) runs this same code on an export, with no server.

/** The previous hash of an organization's first row: 32 zero bytes. */
export const GENESIS_HASH = "0".repeat(64);

/** The fields of an audit row the chain covers: all of them but the global `seq`, plus the organization and position. */
export interface ChainedRow {
  orgId: string;
  chainPosition: number;
  createdAt: Date;
  userId: string | null;
  userEmail: string | null;
  action: string;
  resource: string;
  details: string;
  success: boolean;
  ip: string | null;
  userAgent: string | null;
  before: unknown;
  after: unknown;
}

/** The row as hashed: RFC 8785 canonical JSON of these keys, the timestamp in ISO 8601 with milliseconds (UTC). */
export function canonicalAuditRow(row: ChainedRow): string {
  return canonicalJson({
    orgId: row.orgId,
    position: row.chainPosition,
    timestamp: row.createdAt.toISOString(),
    userId: row.userId,
    userEmail: row.userEmail,
    action: row.action,
    resource: row.resource,
    details: row.details,
    success: row.success,
    ip: row.ip,
    userAgent: row.userAgent,
    before: row.before ?? null,
    after: row.after ?? null,
  });
}

/** SHA-256(previous hash's 32 bytes ‖ the row's canonical JSON in UTF-8), hex. */
export function chainHash(previousHash: string, row: ChainedRow): string {
  return createHash("sha256")
    .update(Buffer.from(previousHash, "hex"))
    .update(canonicalAuditRow(row), "utf8")
    .digest("hex");
}

/** What a checkpoint signs. */
export function checkpointPayload(checkpoint: { orgId: string; position: number; hash: string; signedAt: Date }) {
  return { orgId: checkpoint.orgId, position: checkpoint.position, hash: checkpoint.hash, at: checkpoint.signedAt.toISOString() };
}
