import { and, asc, desc, eq, gt, lt, sql } from "drizzle-orm";
import { getDb, queryRows, type Executor } from "@/db";
import { auditChainHeads, auditCheckpoints, auditLogs, type AuditCheckpoint, type AuditLog } from "@/db/schema";

/**
 * Stores a signed checkpoint. Two instances signing the same head race harmlessly: the primary key
 * (organization, position) keeps the first, and the second learns it lost (null).
 */
export async function insertAuditCheckpoint(checkpoint: AuditCheckpoint, executor: Executor = getDb()): Promise<AuditCheckpoint | null> {
  const [inserted] = await executor.insert(auditCheckpoints).values(checkpoint).onConflictDoNothing().returning();
  return inserted ?? null;
}

/** The organization's newest checkpoint, or null. */
export async function latestAuditCheckpoint({ orgId }: { orgId: string }, executor: Executor = getDb()): Promise<AuditCheckpoint | null> {
  const [latest] = await executor.select().from(auditCheckpoints).where(eq(auditCheckpoints.orgId, orgId)).orderBy(desc(auditCheckpoints.position)).limit(1);
  return latest ?? null;
}

/** Newest first; one more than `limit` when another page exists. `beforePosition` is the cursor. */
export async function listAuditCheckpoints({ orgId, beforePosition, limit }: { orgId: string; beforePosition?: number; limit: number }): Promise<AuditCheckpoint[]> {
  return getDb()
    .select()
    .from(auditCheckpoints)
    .where(and(eq(auditCheckpoints.orgId, orgId), beforePosition === undefined ? undefined : lt(auditCheckpoints.position, beforePosition)))
    .orderBy(desc(auditCheckpoints.position))
    .limit(limit + 1);
}

/** Every checkpoint of the organization, oldest first (they are few: one per interval at most). */
export async function allAuditCheckpoints({ orgId }: { orgId: string }): Promise<AuditCheckpoint[]> {
  return getDb().select().from(auditCheckpoints).where(eq(auditCheckpoints.orgId, orgId)).orderBy(asc(auditCheckpoints.position));
}

/** The organization's chain head as its table says, or null before its first audit row. */
export async function auditChainHead({ orgId }: { orgId: string }): Promise<{ position: number; hash: string } | null> {
  const [head] = await getDb().select({ position: auditChainHeads.position, hash: auditChainHeads.hash }).from(auditChainHeads).where(eq(auditChainHeads.orgId, orgId));
  return head ?? null;
}

/** The action that records a checkpoint in the chain itself; a chain that grew only by it has nothing new to sign. */
export const CHECKPOINT_ACTION = "sign_audit_checkpoint";

/**
 * Organizations whose chain grew since their last checkpoint by more than the row recording that checkpoint:
 * the periodic job signs these, and leaves an idle chain alone.
 */
export async function orgsWithUncheckpointedRows(): Promise<string[]> {
  const rows = await queryRows<{ org_id: string }>(getDb(), sql`
    select h.org_id from audit_chain_heads h
    left join lateral (select max(c.position) as position from audit_checkpoints c where c.org_id = h.org_id) last on true
    where h.position > coalesce(last.position, 0)
      and not (h.position = last.position + 1 and exists (
        select 1 from audit_logs l where l.org_id = h.org_id and l.chain_position = h.position and l.action = ${CHECKPOINT_ACTION}))`);
  return rows.map((row) => row.org_id);
}

/** Whether the row at `position` records a checkpoint (the periodic job's "nothing new since" test, under the head's lock). */
export async function isCheckpointRow({ orgId, position }: { orgId: string; position: number }, executor: Executor): Promise<boolean> {
  const [row] = await executor
    .select({ action: auditLogs.action })
    .from(auditLogs)
    .where(and(eq(auditLogs.orgId, orgId), eq(auditLogs.chainPosition, position)));
  return row?.action === CHECKPOINT_ACTION;
}

/** A batch of the organization's chained rows in chain order, after `afterPosition`: the verifier's stream. */
export async function chainedAuditRows({ orgId, afterPosition, limit }: { orgId: string; afterPosition: number; limit: number }): Promise<AuditLog[]> {
  return getDb()
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.orgId, orgId), gt(auditLogs.chainPosition, afterPosition)))
    .orderBy(asc(auditLogs.chainPosition))
    .limit(limit);
}

/** The organization's rows without a chain position (written outside the chain), oldest first, at most `limit`. */
export async function unchainedAuditRows({ orgId, limit }: { orgId: string; limit: number }): Promise<AuditLog[]> {
  return getDb()
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.orgId, orgId), sql`${auditLogs.chainPosition} is null`))
    .orderBy(asc(auditLogs.seq))
    .limit(limit);
}
