import "server-only";
import { processSingleton } from "@/lib/singleton";
import type { VerifyResult } from "./verify";
import { verifyOrganizationChain } from "./verify-service";

/**
 * The audit page's chain state, at a bounded cost (docs/audit-chain.md, "The console"): each instance keeps the
 * last result per organization in memory. A result under FRESH_MS old is shown as is; an older verified one is
 * extended by the rows appended since; a full pass over every row runs at most every FULL_PASS_MS (and on
 * "Verify now"), so tampering with an old row shows within that time.
 */
export const FRESH_MS = 60_000;
export const FULL_PASS_MS = 10 * 60_000;

export interface ChainStatus {
  result: VerifyResult;
  /** When the result was last brought up to date. */
  checkedAt: Date;
  /** When the last full pass ran. */
  fullPassAt: Date;
}

const statuses = () => processSingleton("audit chain statuses", () => new Map<string, ChainStatus>());
const running = () => processSingleton("audit chain verifications", () => new Map<string, Promise<ChainStatus>>());

async function refresh(orgId: string, full: boolean): Promise<ChainStatus> {
  const cached = statuses().get(orgId);
  const now = Date.now();
  let status: ChainStatus;
  if (!full && cached?.result.ok && now - cached.fullPassAt.getTime() < FULL_PASS_MS) {
    const { result: before } = cached;
    const after = await verifyOrganizationChain({
      orgId,
      start: { position: before.position, hash: before.hash, seq: before.seq, checkpoint: before.checkpoint },
    });
    status = {
      result: { ...after, rows: before.rows + after.rows, checkpointsVerified: before.checkpointsVerified + after.checkpointsVerified },
      checkedAt: new Date(now),
      fullPassAt: cached.fullPassAt,
    };
  } else {
    status = { result: await verifyOrganizationChain({ orgId }), checkedAt: new Date(now), fullPassAt: new Date(now) };
  }
  statuses().set(orgId, status);
  return status;
}

/** The organization's chain state; `full` forces a pass over every row. Concurrent callers share one pass. */
export function auditChainStatus(orgId: string, { full = false }: { full?: boolean } = {}): Promise<ChainStatus> {
  const cached = statuses().get(orgId);
  if (!full && cached && Date.now() - cached.checkedAt.getTime() < FRESH_MS) return Promise.resolve(cached);
  const key = `${orgId}:${full ? "full" : "any"}`;
  const inFlight = running().get(key);
  if (inFlight) return inFlight;
  const pass = refresh(orgId, full).finally(() => running().delete(key));
  running().set(key, pass);
  return pass;
}

/** Forgets an organization's cached state: after a checkpoint is signed, the page shows it at once. */
export function forgetAuditChainStatus(orgId: string): void {
  const cached = statuses().get(orgId);
  // Kept for the incremental pass, but no longer fresh.
  if (cached) statuses().set(orgId, { ...cached, checkedAt: new Date(0) });
}

/** How long the audit page waits for a pass before it shows "verifying" and lets the pass finish in the background. */
export const PAGE_WAIT_MS = 2000;

/**
 * The chain state if it is ready within `waitMs`, else null while the pass goes on (its result is kept for the
 * next view): a full pass over a large log (about 15,000 rows a second) never holds the page.
 */
export async function auditChainStatusWithin(orgId: string, waitMs = PAGE_WAIT_MS): Promise<ChainStatus | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), waitMs);
  });
  const pass = auditChainStatus(orgId);
  // A failure after the page stopped waiting is the next view's to report.
  pass.catch(() => {});
  try {
    return await Promise.race([pass, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
