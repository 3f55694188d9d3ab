import type { ReactNode } from "react";
import type { ChainStatus } from "@/lib/audit/chain-status";
import { Alert } from "./ui/alert";

const utc = (date: Date | string) => `${new Date(date).toISOString().slice(0, 19).replace("T", " ")} UTC`;

/** The audit chain's state, as the audit page shows it (docs/audit-chain.md, "The console"). */
export function AuditChainBanner({ status, actions }: { status: ChainStatus | null; actions?: ReactNode }) {
  if (!status) {
    return (
      <Alert tone="info" title="Verifying the audit chain…">
        <p>Every entry is being re-hashed in the background; reload the page in a moment to see the result.</p>
        {actions && <div className="mt-2">{actions}</div>}
      </Alert>
    );
  }
  const { result, checkedAt, fullPassAt } = status;
  const checked = `Checked ${utc(checkedAt)}; every entry last re-verified ${utc(fullPassAt)}.`;
  if (result.problem) {
    return (
      <Alert tone="error" title={`Chain broken at position ${result.problem.position}: ${result.problem.kind}`}>
        <p>{result.problem.message}</p>
        <p className="mt-1 text-xs">{checked} See docs/audit-chain.md for what each kind means.</p>
        {actions && <div className="mt-2">{actions}</div>}
      </Alert>
    );
  }
  const title = result.checkpoint
    ? `Verified up to checkpoint ${result.checkpointsVerified} (position ${result.checkpoint.position}) at ${utc(result.checkpoint.at)}`
    : `Verified: ${result.position} entries, no checkpoint signed yet`;
  return (
    <Alert tone="success" title={title}>
      <p>
        {result.position} {result.position === 1 ? "entry" : "entries"} chained, every hash recomputed
        {result.checkpoint ? `; entries after position ${result.checkpoint.position} are covered by the next checkpoint.` : "."} {checked}
      </p>
      {actions && <div className="mt-2">{actions}</div>}
    </Alert>
  );
}
