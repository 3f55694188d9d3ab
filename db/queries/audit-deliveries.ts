import { eq, inArray, sql } from "drizzle-orm";
import { getDb, queryRows } from "@/db";
import { auditDestinations, auditLogs, type AuditLog } from "@/db/schema";

/** An outbox row the worker claimed. */
export interface ClaimedDelivery {
  id: number;
  orgId: string;
  destinationId: string;
  auditSeq: number;
  chainPosition: number;
  /** Attempts so far, this one included. */
  attempts: number;
}

/**
 * Claims due deliveries: for each enabled destination, its oldest pending row only, when due (a later row waits
 * for it: delivery follows the chain's order). A claim takes a lease (next_attempt_at moves `leaseSeconds` ahead)
 * and counts an attempt, committed at once; FOR UPDATE SKIP LOCKED lets every instance claim at the same moment
 * without two taking the same row. A worker that dies holding a claim leaves the row due again when the lease ends.
 */
export async function claimDueDeliveries({ limit, leaseSeconds }: { limit: number; leaseSeconds: number }): Promise<ClaimedDelivery[]> {
  const rows = await queryRows<{ id: string | number; org_id: string; destination_id: string; audit_seq: string | number; chain_position: string | number; attempts: number }>(
    getDb(),
    sql`
      update audit_deliveries set attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
      where id in (
        select p.id from audit_deliveries p
        join audit_destinations dest on dest.id = p.destination_id
        where p.state = 'pending' and dest.enabled and p.next_attempt_at <= now()
          and not exists (
            select 1 from audit_deliveries earlier
            where earlier.destination_id = p.destination_id and earlier.state = 'pending' and earlier.chain_position < p.chain_position
          )
        order by p.next_attempt_at, p.id
        limit ${limit}
        for update of p skip locked
      )
      returning id, org_id, destination_id, audit_seq, chain_position, attempts`,
  );
  return rows.map((row) => ({
    id: Number(row.id),
    orgId: row.org_id,
    destinationId: row.destination_id,
    auditSeq: Number(row.audit_seq),
    chainPosition: Number(row.chain_position),
    attempts: Number(row.attempts),
  }));
}

export function auditRowsBySeq(seqs: number[]): Promise<AuditLog[]> {
  if (seqs.length === 0) return Promise.resolve([]);
  return getDb().select().from(auditLogs).where(inArray(auditLogs.seq, seqs));
}

/** Where each destination sends, with its sealed secret: for the worker only, never for a response. */
export function destinationTargets(ids: string[]): Promise<{ id: string; url: string; sealedSecret: string }[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return getDb()
    .select({ id: auditDestinations.id, url: auditDestinations.url, sealedSecret: auditDestinations.sealedSecret })
    .from(auditDestinations)
    .where(inArray(auditDestinations.id, ids));
}

/** The delivery went through: delivered, and the destination's last success noted. */
export async function markDelivered({ id, destinationId, status }: { id: number; destinationId: string; status: number }): Promise<void> {
  await getDb().transaction(async (tx) => {
    await tx.execute(sql`
      update audit_deliveries set state = 'delivered', delivered_at = now(), last_status = ${status}, last_error = null
      where id = ${id} and state = 'pending'`);
    await tx.update(auditDestinations).set({ lastDeliveredAt: sql`now()` }).where(eq(auditDestinations.id, destinationId));
  });
}

/**
 * The delivery failed: retried after `retryInMs`, or dead once it has had `maxAttempts`; the destination's last
 * failure noted. Returns whether it is now dead.
 */
export async function markFailed({
  id,
  destinationId,
  status,
  error,
  retryInMs,
  maxAttempts,
}: {
  id: number;
  destinationId: string;
  status: number | null;
  error: string;
  retryInMs: number;
  maxAttempts: number;
}): Promise<boolean> {
  return getDb().transaction(async (tx) => {
    const [row] = await queryRows<{ state: string }>(
      tx,
      sql`
        update audit_deliveries set
          state = case when attempts >= ${maxAttempts} then 'dead' else 'pending' end,
          next_attempt_at = now() + make_interval(secs => ${retryInMs / 1000}),
          last_status = ${status}, last_error = ${error}
        where id = ${id} and state = 'pending'
        returning state`,
    );
    await tx.update(auditDestinations).set({ lastFailedAt: sql`now()`, lastError: error }).where(eq(auditDestinations.id, destinationId));
    return row?.state === "dead";
  });
}

/** Delivered rows older than `olderThanMs`: the audit log keeps the rows themselves. */
export async function pruneDeliveredDeliveries({ olderThanMs }: { olderThanMs: number }): Promise<void> {
  await getDb().execute(sql`delete from audit_deliveries where state = 'delivered' and delivered_at < now() - make_interval(secs => ${olderThanMs / 1000})`);
}

/** Rows waiting to be sent, across organizations (the queue depth metric). */
export async function pendingDeliveryCount(): Promise<number> {
  const [row] = await queryRows<{ count: string | number }>(getDb(), sql`select count(*) as count from audit_deliveries where state = 'pending'`);
  return Number(row?.count ?? 0);
}
