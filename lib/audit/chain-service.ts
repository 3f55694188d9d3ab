import { getDb } from "@/db";
import { chainAuditRows, lockAuditChainHead, oldestUnchainedAuditRows, orgsWithUnchainedAuditRows } from "@/db/queries/audit-logs";
import { chainHash } from "./chain";

// Rows chained per transaction: the head stays locked meanwhile, so new audit rows wait at most one batch.
const BACKFILL_BATCH = 500;

/**
 * Appends the rows written before the chain existed (migration 0010) to their organization's chain, oldest first.
 * Runs at every start and finds nothing once done; an instance of an older release still writing unchained rows
 * during a rolling upgrade has them appended after the rows the new release chained.
 */
export async function chainUnchainedAuditRows(): Promise<number> {
  let chained = 0;
  for (const orgId of await orgsWithUnchainedAuditRows()) {
    for (;;) {
      const count = await getDb().transaction(async (tx) => {
        const head = await lockAuditChainHead({ orgId }, tx);
        const rows = await oldestUnchainedAuditRows({ orgId, limit: BACKFILL_BATCH }, tx);
        if (rows.length === 0) return 0;
        let { position, hash } = head;
        const hashed = rows.map((row) => {
          position += 1;
          hash = chainHash(hash, { ...row, chainPosition: position });
          return { seq: row.seq, chainPosition: position, hash };
        });
        await chainAuditRows({ orgId, rows: hashed, head: { position, hash } }, tx);
        return rows.length;
      });
      chained += count;
      if (count < BACKFILL_BATCH) break;
    }
  }
  return chained;
}
