import { and, asc, desc, eq, gte, isNull, lt, sql, type Placeholder, type SQL } from "drizzle-orm";
import { getDb, prepared, queryRows, type Executor } from "@/db";
import { auditChainHeads, auditLogs, type AuditLog } from "@/db/schema";
import { GENESIS_HASH, type ChainedRow } from "@/lib/audit/chain";

/**
 * Locks the organization's chain head until commit, after its counters row, and moves it by `advance` (0 or 1);
 * answers the head as it then stands, created at position 0 before the first row. The counters row comes first, in
 * every transaction that appends, because agent events lock it too: a transaction that published an event and then
 * audits, and one that audits and then publishes, would otherwise each wait for the other's lock (a deadlock seen
 * under concurrent writes). The upsert reads the latest head even when another transaction committed it while this
 * one waited, so concurrent writers append one after another and the chain cannot fork.
 */
async function takeAuditChainHead(orgId: string, advance: 0 | 1, executor: Executor): Promise<{ position: number; hash: string }> {
  const [head] = await queryRows<{ position: string | number; hash: string }>(
    executor,
    sql`
      with counters as (select org_id from org_counters where org_id = ${orgId} for no key update)
      insert into audit_chain_heads (org_id, position, hash)
      select org_id, ${advance}, ${GENESIS_HASH} from counters
      on conflict (org_id) do update set position = audit_chain_heads.position + ${advance}
      returning position, hash`,
  );
  if (!head) throw new Error(`organization ${orgId} has no counters row`);
  return { position: Number(head.position), hash: head.hash };
}

/** Takes the organization's next chain position and the hash before it, holding the head until commit. */
export async function advanceAuditChain({ orgId }: { orgId: string }, executor: Executor): Promise<{ position: number; previousHash: string }> {
  const head = await takeAuditChainHead(orgId, 1, executor);
  return { position: head.position, previousHash: head.hash };
}

/** Holds the organization's chain head until commit without moving it. */
export function lockAuditChainHead({ orgId }: { orgId: string }, executor: Executor): Promise<{ position: number; hash: string }> {
  return takeAuditChainHead(orgId, 0, executor);
}

const jsonbOrNull = (value: unknown) => (value === null || value === undefined ? sql`null` : sql`${JSON.stringify(value)}::jsonb`);

/**
 * Inserts one chained audit row, queues it for every enabled destination that takes its action (the outbox), and
 * moves the chain head to its hash: one statement, in the transaction that took its position.
 */
export async function insertChainedAuditLog(row: ChainedRow & { hash: string }, executor: Executor): Promise<void> {
  await executor.execute(sql`
    with inserted as (
      insert into audit_logs (org_id, user_id, user_email, action, resource, details, success, ip, user_agent, before, after, "timestamp", chain_position, hash)
      values (${row.orgId}, ${row.userId}, ${row.userEmail}, ${row.action}, ${row.resource}, ${row.details}, ${row.success}, ${row.ip}, ${row.userAgent},
              ${jsonbOrNull(row.before)}, ${jsonbOrNull(row.after)}, ${row.createdAt.toISOString()}::timestamptz, ${row.chainPosition}, ${row.hash})
      returning seq, org_id, action, chain_position
    ), queued as (
      insert into audit_deliveries (org_id, destination_id, audit_seq, chain_position)
      select inserted.org_id, d.id, inserted.seq, inserted.chain_position
      from inserted join audit_destinations d
        on d.org_id = inserted.org_id and d.enabled and (d.actions is null or d.actions @> jsonb_build_array(inserted.action))
    )
    update audit_chain_heads set hash = ${row.hash} where org_id = ${row.orgId}`);
}

/** Organizations holding rows written before the audit chain existed. */
export async function orgsWithUnchainedAuditRows(): Promise<string[]> {
  const rows = await getDb().selectDistinct({ orgId: auditLogs.orgId }).from(auditLogs).where(isNull(auditLogs.chainPosition));
  return rows.map((row) => row.orgId);
}

/** The organization's oldest unchained rows, in the order they were written. */
export async function oldestUnchainedAuditRows({ orgId, limit }: { orgId: string; limit: number }, executor: Executor): Promise<AuditLog[]> {
  return executor
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.orgId, orgId), isNull(auditLogs.chainPosition)))
    .orderBy(asc(auditLogs.seq))
    .limit(limit);
}

/** Gives existing rows their chain positions and hashes, and moves the head past them. */
export async function chainAuditRows(
  { orgId, rows, head }: { orgId: string; rows: { seq: number; chainPosition: number; hash: string }[]; head: { position: number; hash: string } },
  executor: Executor,
): Promise<void> {
  await executor.execute(sql`
    update audit_logs set chain_position = chained.chain_position, hash = chained.hash
    from (select unnest(${`{${rows.map((row) => row.seq).join(",")}}`}::bigint[]) as seq,
                 unnest(${`{${rows.map((row) => row.chainPosition).join(",")}}`}::bigint[]) as chain_position,
                 unnest(${`{${rows.map((row) => row.hash).join(",")}}`}::text[]) as hash) as chained
    where audit_logs.seq = chained.seq and audit_logs.org_id = ${orgId}`);
  await executor.update(auditChainHeads).set(head).where(eq(auditChainHeads.orgId, orgId));
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
