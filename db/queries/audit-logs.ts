import { createHash } from "node:crypto";
import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { auditLogs, type AuditLog } from "@/db/schema";
import { type AuditAction } from "@/lib/audit/actions";

/** Who did something, and from where. Every audit row and every scoped query starts from one. */
export interface Actor {
  orgId: string;
  userId: string | null;
  email: string | null;
  ip?: string | null;
  userAgent?: string | null;
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

/** A before/after snapshot, or, past the limit, a note of its size and digest instead of the snapshot itself. */
function boundedSnapshot(snapshot: unknown): unknown {
  if (snapshot === undefined || snapshot === null) return null;
  const json = JSON.stringify(snapshot);
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes <= AUDIT_FIELD_LIMITS.snapshotBytes) return snapshot;
  return { truncated: true, bytes, sha256: createHash("sha256").update(json).digest("hex") };
}

/** Writes one audit row. Pass the open transaction so the row commits or rolls back with the change it records. */
export async function insertAuditLog(executor: Executor, actor: Actor, entry: AuditEntry): Promise<void> {
  await executor.insert(auditLogs).values({
    orgId: actor.orgId,
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
  });
}

/** Records something that changed nothing in the database, such as an export, on its own. */
export function recordAudit(actor: Actor, entry: AuditEntry): Promise<void> {
  return insertAuditLog(getDb(), actor, entry);
}

/** Records an attempt that failed, outside any transaction (the change it describes never happened). */
export function recordFailure(actor: Actor, entry: Omit<AuditEntry, "success">): Promise<void> {
  return recordAudit(actor, { ...entry, success: false });
}

export interface AuditLogFilter {
  orgId: string;
  action?: string;
  resource?: string;
  userEmail?: string;
  success?: boolean;
  since?: Date;
  until?: Date;
  /** Only rows older than this sequence number: the pagination cursor. */
  beforeSeq?: number;
  limit: number;
}

function filterConditions(filter: Omit<AuditLogFilter, "limit">): SQL | undefined {
  const conditions: (SQL | undefined)[] = [
    eq(auditLogs.orgId, filter.orgId),
    filter.action === undefined ? undefined : eq(auditLogs.action, filter.action),
    filter.resource === undefined ? undefined : eq(auditLogs.resource, filter.resource),
    filter.userEmail === undefined ? undefined : eq(auditLogs.userEmail, filter.userEmail),
    filter.success === undefined ? undefined : eq(auditLogs.success, filter.success),
    filter.since === undefined ? undefined : gte(auditLogs.createdAt, filter.since),
    filter.until === undefined ? undefined : lt(auditLogs.createdAt, filter.until),
    filter.beforeSeq === undefined ? undefined : lt(auditLogs.seq, filter.beforeSeq),
  ];
  return and(...conditions);
}

/** Newest first. Returns one row more than `limit` when another page exists, so callers can tell. */
export function listAuditLogs(filter: AuditLogFilter): Promise<AuditLog[]> {
  return getDb()
    .select()
    .from(auditLogs)
    .where(filterConditions(filter))
    .orderBy(desc(auditLogs.seq))
    .limit(filter.limit + 1);
}

export interface AuditLogExtent {
  /** The newest matching entry's sequence number, null when nothing matches. */
  newestSeq: number | null;
  /** How many entries an export of `limit` holds: all that match, or `limit` when more do. */
  rows: number;
  /** More than `limit` entries match. */
  truncated: boolean;
  /** When truncated, the sequence number of the last entry within `limit`: the cursor of the rest. */
  lastSeq: number | null;
}

/**
 * What a read of up to `limit` entries would hold, without reading them: sequence numbers only, and a
 * count when at most `limit` match. Entries added meanwhile (newer than `newestSeq`) are not counted, so
 * reading from `newestSeq` down gives exactly `rows` entries.
 */
export async function auditLogExtent(filter: AuditLogFilter): Promise<AuditLogExtent> {
  const seqs = (where: Omit<AuditLogFilter, "limit">, offset: number, count: number) =>
    getDb().select({ seq: auditLogs.seq }).from(auditLogs).where(filterConditions(where)).orderBy(desc(auditLogs.seq)).offset(offset).limit(count);
  const [newest] = await seqs(filter, 0, 1);
  if (!newest) return { newestSeq: null, rows: 0, truncated: false, lastSeq: null };
  const pinned = { ...filter, beforeSeq: newest.seq + 1 };
  const [last, beyond] = await seqs(pinned, filter.limit - 1, 2);
  if (last && beyond) return { newestSeq: newest.seq, rows: filter.limit, truncated: true, lastSeq: last.seq };
  return { newestSeq: newest.seq, rows: await getDb().$count(auditLogs, filterConditions(pinned)), truncated: false, lastSeq: null };
}
