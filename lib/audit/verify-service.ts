import "server-only";
import { allAuditCheckpoints, auditChainHead, chainedAuditRows, unchainedAuditRows } from "@/db/queries/audit-checkpoints";
import { listSigningKeys } from "@/db/queries/signing-keys";
import type { AuditLog } from "@/db/schema";
import { GENESIS_HASH } from "./chain";
import { toCheckpointJson } from "./checkpoints";
import { verifyAuditChain, type VerifiableCheckpoint, type VerifiableKey, type VerifiableRow, type VerifyInput, type VerifyResult } from "./verify";

/** Rows read per query: the verifier holds one batch (and one row of lookahead) at a time, whatever the log's size. */
export const VERIFY_BATCH_ROWS = 1000;

export function toVerifiableRow(row: AuditLog): VerifiableRow {
  return { ...row, before: row.before ?? null, after: row.after ?? null };
}

/** The organization's chained rows after `afterPosition`, up to `through`, in chain order, a batch per query. */
async function* chainedRows(orgId: string, afterPosition: number, through: number, batchRows: number): AsyncGenerator<VerifiableRow> {
  let after = afterPosition;
  for (;;) {
    const batch = await chainedAuditRows({ orgId, afterPosition: after, limit: batchRows });
    for (const row of batch) {
      if (row.chainPosition! > through) {
        // Past the head read first: a row appended since (the next pass's), unless the head does not reach it even
        // now. Then it was written outside the chain (by SQL), and the verifier reports it as inserted.
        const now = await auditChainHead({ orgId });
        if (now && row.chainPosition! <= now.position) return;
        yield toVerifiableRow(row);
        return;
      }
      yield toVerifiableRow(row);
    }
    if (batch.length < batchRows) return;
    after = batch.at(-1)!.chainPosition!;
  }
}

export interface VerifyOrganizationOptions {
  orgId: string;
  /** Checkpoints kept outside the database (--from-checkpoint), checked beside the stored ones. */
  extraCheckpoints?: VerifiableCheckpoint[];
  /** Keys to trust instead of those the database lists (--keys). */
  pinnedKeys?: VerifiableKey[];
  /** Resume after an already verified position (the console's incremental pass). */
  start?: VerifyInput["start"];
  batchRows?: number;
}

/** Verifies an organization's chain as stored: its rows streamed in batches, its checkpoints, and its head. */
export async function verifyOrganizationChain(options: VerifyOrganizationOptions): Promise<VerifyResult> {
  const { orgId, batchRows = VERIFY_BATCH_ROWS } = options;
  // The head first: every row up to it has committed (a row and the head move in one transaction).
  const head = (await auditChainHead({ orgId })) ?? { position: 0, hash: GENESIS_HASH };
  const checkpoints = [...(await allAuditCheckpoints({ orgId })).map(toCheckpointJson), ...(options.extraCheckpoints ?? [])];
  const keys = options.pinnedKeys ?? (await listSigningKeys({ purpose: "audit" }));
  return verifyAuditChain({
    orgId,
    rows: chainedRows(orgId, options.start?.position ?? 0, head.position, batchRows),
    unchained: (await unchainedAuditRows({ orgId, limit: 1 })).map(toVerifiableRow),
    checkpoints,
    keys,
    head,
    start: options.start,
  });
}
