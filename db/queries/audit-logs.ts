import { and, desc, eq, gte, lt, sql, type Placeholder, type SQL } from "drizzle-orm";
import { getDb, prepared, type Executor } from "@/db";
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

/** The optional filters, in the order their conditions are written. */
const OPTIONAL_FILTERS = ["action", "resource", "userEmail", "success", "since", "until", "beforeSeq"] as const;

type FilterKey = Exclude<keyof AuditLogFilter, "limit">;
type FilterValue<K extends FilterKey> = NonNullable<AuditLogFilter[K]> | Placeholder;

/**
 * The filter's conditions. `value` gives each condition's value: the filter's own by default, a placeholder
 * for a prepared query.
 */
function filterConditions(
  filter: Omit<AuditLogFilter, "limit">,
  value: <K extends FilterKey>(key: K) => FilterValue<K> = (key) => filter[key] as FilterValue<typeof key>,
): SQL | undefined {
  const conditions: (SQL | undefined)[] = [
    eq(auditLogs.orgId, value("orgId")),
    filter.action === undefined ? undefined : eq(auditLogs.action, value("action")),
    filter.resource === undefined ? undefined : eq(auditLogs.resource, value("resource")),
    filter.userEmail === undefined ? undefined : eq(auditLogs.userEmail, value("userEmail")),
    filter.success === undefined ? undefined : eq(auditLogs.success, value("success")),
    filter.since === undefined ? undefined : gte(auditLogs.createdAt, value("since")),
    filter.until === undefined ? undefined : lt(auditLogs.createdAt, value("until")),
    filter.beforeSeq === undefined ? undefined : lt(auditLogs.seq, value("beforeSeq")),
  ];
  return and(...conditions);
}

/** Newest first. Returns one row more than `limit` when another page exists, so callers can tell. */
export function listAuditLogs(filter: AuditLogFilter): Promise<AuditLog[]> {
  const used = OPTIONAL_FILTERS.filter((key) => filter[key] !== undefined);
  const query = prepared(["list_audit_logs", ...used].join("_"), (db, name) =>
    db
      .select()
      .from(auditLogs)
      .where(filterConditions(filter, (key) => sql.placeholder(key)))
      .orderBy(desc(auditLogs.seq))
      .limit(sql.placeholder("limit"))
      .prepare(name),
  );
  // A placeholder's value skips drizzle's column mapping, and the drivers are set up to receive times as text.
  return query.execute({ ...filter, since: filter.since?.toISOString(), until: filter.until?.toISOString(), limit: filter.limit + 1 });
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
