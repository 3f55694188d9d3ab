import "server-only";
import { createHash } from "node:crypto";
import { advanceAuditChain, insertChainedAuditLog } from "@/db/queries/audit-logs";
import { getDb, isTransaction, type Executor, type Tx } from "@/db";
import { chainHash, type ChainedRow } from "./chain";
import type { AuditAction } from "./actions";

/** Who did something, and from where. Every audit row and every scoped query starts from one. */
export interface Actor {
  orgId: string;
  userId: string | null;
  email: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** How the change arrived, for rules that apply per channel (the IP allowlist): a console session, or an API token. Unset for the CLI. */
  channel?: "console" | "api";
}

export interface AuditEntry {
  action: AuditAction;
  resource: string;
  details: string;
  success: boolean;
  before?: unknown;
  after?: unknown;
}

/**
 * The most any audit field holds. Audit rows are written for requests anyone can make (a failed sign-in) and
 * carry text a caller chose, so every field is bounded: the log stays readable and an export stays small.
 */
export const AUDIT_FIELD_LIMITS = { resource: 300, details: 2000, email: 320, ip: 64, userAgent: 512, snapshotBytes: 256 * 1024 } as const;

function bounded(text: string | null | undefined, max: number): string | null {
  if (text === null || text === undefined) return null;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A before/after snapshot as JSON gives it back (the row's hash covers what the database returns), or, past the
 * limit, a note of its size and digest instead of the snapshot itself.
 */
function boundedSnapshot(snapshot: unknown): unknown {
  if (snapshot === undefined || snapshot === null) return null;
  const json = JSON.stringify(snapshot);
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes <= AUDIT_FIELD_LIMITS.snapshotBytes) return JSON.parse(json);
  return { truncated: true, bytes, sha256: createHash("sha256").update(json).digest("hex") };
}

/**
 * Writes one audit row, appended to its organization's hash chain. Pass the open transaction, so the row commits
 * or rolls back with the change it records; without one, it records something that changed nothing (an export,
 * a refusal) in a transaction of its own.
 */
export async function recordAudit(actor: Actor, entry: AuditEntry, executor: Executor = getDb()): Promise<void> {
  const append = async (tx: Tx) => {
    const { position, previousHash } = await advanceAuditChain({ orgId: actor.orgId }, tx);
    const row: ChainedRow = {
      orgId: actor.orgId,
      chainPosition: position,
      // Milliseconds, as JavaScript and the hash read it back; the database keeps microseconds.
      createdAt: new Date(),
      userId: actor.userId,
      userEmail: bounded(actor.email, AUDIT_FIELD_LIMITS.email),
      ip: bounded(actor.ip, AUDIT_FIELD_LIMITS.ip),
      userAgent: bounded(actor.userAgent, AUDIT_FIELD_LIMITS.userAgent),
      action: entry.action,
      resource: bounded(entry.resource, AUDIT_FIELD_LIMITS.resource)!,
      details: bounded(entry.details, AUDIT_FIELD_LIMITS.details)!,
      success: entry.success,
      before: boundedSnapshot(entry.before),
      after: boundedSnapshot(entry.after),
    };
    await insertChainedAuditLog({ ...row, hash: chainHash(previousHash, row) }, tx);
  };
  if (isTransaction(executor)) await append(executor);
  else await getDb().transaction(append);
}

/** Records an attempt that failed, outside any transaction (the change it describes never happened). */
export function recordFailure(actor: Actor, entry: Omit<AuditEntry, "success">): Promise<void> {
  return recordAudit(actor, { ...entry, success: false });
}
