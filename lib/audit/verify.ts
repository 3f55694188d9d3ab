import { chainHash, checkpointPayload, GENESIS_HASH, type ChainedRow } from "./chain";
import { keyIdOf, verifySignature } from "@/lib/signing/keys";

// Pure: no database, no server. The CLI feeds it rows streamed from the database in batches, the console feeds it
// the rows appended since its last pass, and scripts/verify-audit-export.ts feeds it an export file.
// docs/audit-chain.md defines each kind of problem.

/** An audit row as stored: its chain fields may be missing (a row written outside the chain). */
export interface VerifiableRow extends Omit<ChainedRow, "chainPosition"> {
  seq: number;
  chainPosition: number | null;
  hash: string | null;
}

export interface VerifiableCheckpoint {
  orgId: string;
  position: number;
  hash: string;
  at: string;
  keyId: string;
  signature: string;
}

export interface VerifiableKey {
  keyId: string;
  publicKey: string;
}

export const PROBLEM_KINDS = [
  "edited",
  "deleted",
  "inserted",
  "reordered",
  "unchained",
  "bad_checkpoint_signature",
  "checkpoint_mismatch",
  "truncated",
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface ChainProblem {
  kind: ProblemKind;
  /** The first chain position the problem touches (for `unchained`, the position the row would have followed, plus one). */
  position: number;
  /** The row's sequence number (its `id` is `log-<seq>`), when a row is at fault. */
  seq?: number;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  orgId: string;
  /** Rows checked in this pass. */
  rows: number;
  /** The last position verified, and its hash: where an incremental pass resumes. */
  position: number;
  hash: string;
  /** The sequence number of the row at `position` (0 before the first): an incremental pass resumes from it too. */
  seq: number;
  /** The newest checkpoint verified (signature and hash) so far, or null. */
  checkpoint: VerifiableCheckpoint | null;
  checkpointsVerified: number;
  problem: ChainProblem | null;
}

type Rows = Iterable<VerifiableRow> | AsyncIterable<VerifiableRow>;

export interface VerifyInput {
  orgId: string;
  /** The organization's chained rows in chain-position order (ascending), up to the head read before them. */
  rows: Rows;
  /** Rows of the organization without a chain position. */
  unchained?: Rows;
  /** Checkpoints from the database or export, plus any kept elsewhere (--from-checkpoint); any order. */
  checkpoints: Iterable<VerifiableCheckpoint>;
  /** The keys checkpoints are checked against: the pinned keys file when given, else those the database or export lists. */
  keys: Iterable<VerifiableKey>;
  /** The chain head as its table said before the rows were read; its position is how many rows must exist. */
  head?: { position: number; hash: string } | null;
  /** Resume after an already verified position (incremental pass): its hash and the row's sequence number. */
  start?: { position: number; hash: string; seq: number; checkpoint: VerifiableCheckpoint | null };
}

async function* inOrder(rows: Rows): AsyncGenerator<VerifiableRow> {
  for await (const row of rows as AsyncIterable<VerifiableRow>) yield row;
}

const problem = (kind: ProblemKind, position: number, message: string, seq?: number): ChainProblem => ({ kind, position, message, ...(seq === undefined ? {} : { seq }) });

/**
 * Recomputes the chain and checks every checkpoint; stops at the first problem, by position. Rows are read one at
 * a time (with one row of lookahead), so the caller decides how many are in memory.
 */
export async function verifyAuditChain(input: VerifyInput): Promise<VerifyResult> {
  const keys = new Map<string, string>();
  for (const key of input.keys) keys.set(key.keyId, key.publicKey);
  const start = input.start ?? { position: 0, hash: GENESIS_HASH, seq: 0, checkpoint: null };
  // An incremental pass checks the checkpoints from its start on: one may have been signed at the very position the
  // last pass ended, after it ran. The one that pass verified is not counted again.
  const checkpoints = [...input.checkpoints]
    .filter((checkpoint) => checkpoint.position > start.position || (checkpoint.position === start.position && checkpoint.signature !== start.checkpoint?.signature && start.position > 0))
    .sort((a, b) => a.position - b.position);

  let position = start.position;
  let hash = start.hash;
  let seq = start.seq;
  let rows = 0;
  let next = 0; // the next checkpoint to check
  let verifiedCheckpoint = start.checkpoint;
  let checkpointsVerified = 0;
  const result = (found: ChainProblem | null): VerifyResult => ({
    ok: found === null,
    orgId: input.orgId,
    rows,
    position,
    hash,
    seq,
    checkpoint: verifiedCheckpoint,
    checkpointsVerified,
    problem: found,
  });

  /** A checkpoint's signature, by the key its id names. */
  const signatureProblem = (checkpoint: VerifiableCheckpoint): ChainProblem | null => {
    const publicKey = keys.get(checkpoint.keyId);
    const why =
      checkpoint.orgId !== input.orgId
        ? `it names another organization (${checkpoint.orgId})`
        : publicKey === undefined
          ? `its key ${checkpoint.keyId} is not among the trusted keys`
          : keyIdOf(publicKey) !== checkpoint.keyId
            ? `the public key listed under id ${checkpoint.keyId} does not have that id (the key was replaced)`
            : !verifySignature(publicKey, checkpointPayload({ ...checkpoint, signedAt: new Date(checkpoint.at) }), checkpoint.signature) ||
                new Date(checkpoint.at).toISOString() !== checkpoint.at
              ? `its signature does not verify with key ${checkpoint.keyId}`
              : null;
    return why === null ? null : problem("bad_checkpoint_signature", checkpoint.position, `The checkpoint at position ${checkpoint.position} is not genuine: ${why}.`);
  };

  /** The checkpoints at the position just verified: genuine, and naming the hash the rows give. */
  const checkCheckpointsHere = (): ChainProblem | null => {
    while (next < checkpoints.length && checkpoints[next]!.position === position) {
      const checkpoint = checkpoints[next++]!;
      const bad = signatureProblem(checkpoint);
      if (bad) return bad;
      if (checkpoint.hash !== hash) {
        return problem(
          "checkpoint_mismatch",
          position,
          `The checkpoint signed at ${checkpoint.at} says position ${position} has hash ${checkpoint.hash}, the rows give ${hash}: the chain was rewritten up to here after it was signed.`,
        );
      }
      verifiedCheckpoint = checkpoint;
      checkpointsVerified += 1;
    }
    return null;
  };

  const atStart = checkCheckpointsHere();
  if (atStart) return result(atStart);

  const iterator = inOrder(input.rows);
  let current = (await iterator.next()).value as VerifiableRow | undefined;
  while (current) {
    const row = current;
    const lookahead = (await iterator.next()).value as VerifiableRow | undefined;
    const expected = position + 1;
    const at = row.chainPosition!;
    if (at < expected) {
      return result(problem("inserted", at, `A second row holds position ${at} (id log-${row.seq}).`, row.seq));
    }
    if (at > expected) {
      return result(problem("deleted", expected, `No row holds position ${expected}${at > expected + 1 ? ` to ${at - 1}` : ""}: deleted (the next row present is at ${at}).`));
    }
    if (input.head && at > input.head.position) {
      return result(problem("inserted", at, `The row at position ${at} (id log-${row.seq}) lies beyond the chain head (${input.head.position}): appended outside the chain.`, row.seq));
    }
    if (row.hash !== chainHash(hash, { ...row, chainPosition: at })) return result(brokenLink(row, lookahead, at, seq));
    position = at;
    hash = row.hash;
    seq = row.seq;
    rows += 1;
    const bad = checkCheckpointsHere();
    if (bad) return result(bad);
    current = lookahead;
  }

  for await (const row of inOrder(input.unchained ?? [])) {
    return result(problem("unchained", position + 1, `Row id log-${row.seq} (${row.action}, ${row.createdAt.toISOString()}) has no place in the chain: written outside it.`, row.seq));
  }
  // Checkpoints beyond the last row: genuine ones prove rows existed there.
  for (const checkpoint of checkpoints.slice(next)) {
    const bad = signatureProblem(checkpoint);
    if (bad) return result(bad);
    return result(problem("truncated", position + 1, `A checkpoint signed at ${checkpoint.at} covers position ${checkpoint.position}, but the last row is at ${position}: rows after it were removed.`));
  }
  if (input.head && input.head.position > position) {
    return result(problem("truncated", position + 1, `The chain head says position ${input.head.position}, but the last row is at ${position}: rows after it were removed.`));
  }
  return result(null);
}

/**
 * Why the row at `at` does not link to the one before. Write order (`seq`) tells which: rows are appended in the
 * order they are written, so a row written after the row that follows it was put there later. It only classifies
 * a broken link, never breaks one by itself: rows from an older release, chained at start during a rolling
 * upgrade, legitimately follow newer ones.
 */
function brokenLink(row: VerifiableRow, lookahead: VerifiableRow | undefined, at: number, previousSeq: number): ChainProblem {
  if (lookahead && lookahead.chainPosition === at + 1 && lookahead.seq < row.seq) {
    // Swapped rows keep the hashes of their old places: this one's stored hash then links after the next one's.
    // A row that was never in the chain does not.
    const swapped = row.hash === chainHash(lookahead.hash ?? GENESIS_HASH, { ...row, chainPosition: at + 1 });
    return swapped
      ? problem("reordered", at, `The rows at positions ${at} and ${at + 1} (ids log-${row.seq}, log-${lookahead.seq}) were swapped.`, row.seq)
      : problem("inserted", at, `The row at position ${at} (id log-${row.seq}) was written after the rows that follow it: inserted into the chain.`, row.seq);
  }
  if (row.seq < previousSeq) {
    return problem("reordered", at, `The row at position ${at} (id log-${row.seq}) was written before the row at position ${at - 1}: moved.`, row.seq);
  }
  return problem("edited", at, `The row at position ${at} (id log-${row.seq}) does not hash to its stored hash: edited after it was written.`, row.seq);
}

/** One line for a report: "verified" or the problem. */
export function describeVerifyResult(result: VerifyResult): string {
  if (!result.problem) {
    const through = result.checkpoint ? `, signed up to checkpoint at position ${result.checkpoint.position} (${result.checkpoint.at}, key ${result.checkpoint.keyId})` : ", no checkpoint yet";
    return `Verified: ${result.position} rows chained${through}.`;
  }
  return `Chain broken at position ${result.problem.position}: ${result.problem.kind}. ${result.problem.message}`;
}
