import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { auditLogs, type AuditLog, type NewAuditLog } from "@/db/schema";

/** Inserts one audit row as given; lib/audit/log.ts decides what goes in it. */
export async function insertAuditLog(row: NewAuditLog, executor: Executor = getDb()): Promise<void> {
  await executor.insert(auditLogs).values(row);
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
