import type { ChangeRequest } from "@/db/schema";
import { describeChangeRequest } from "@/lib/change-requests/describe";
import { AuditDiff } from "./audit-diff";
import { ChangeRequestDecision } from "./change-request-decision";
import { DateTime } from "./date-time";
import { Badge, type BadgeTone } from "./ui/badge";

const STATE_TONES: Record<ChangeRequest["state"], BadgeTone> = {
  pending: "amber",
  approved: "blue",
  applied: "green",
  rejected: "red",
  cancelled: "neutral",
  expired: "neutral",
};

/** A change request: what it would do (the diff it would apply), who asked and why, and the decision or its buttons. */
export function ChangeRequestCard({ request, viewerId, canDecide }: { request: ChangeRequest; viewerId: string; canDecide: boolean }) {
  const { before, after } = request.preview;
  return (
    <article aria-labelledby={`request-${request.id}`} className="space-y-4 rounded-lg border border-slate-200 bg-white p-5">
      <header className="flex flex-wrap items-center gap-2">
        <h3 id={`request-${request.id}`} className="text-base font-semibold text-slate-900">
          {describeChangeRequest(request)}
        </h3>
        <Badge tone={STATE_TONES[request.state]}>{request.state}</Badge>
      </header>
      <p className="text-sm text-slate-700">
        Requested by {request.requestedByEmail} <DateTime value={request.createdAt} />
        {request.state === "pending" && (
          <>
            {" "}
            · expires <DateTime value={request.expiresAt} />
          </>
        )}
        {request.reason && <> · “{request.reason}”</>}
      </p>
      <div className="overflow-x-auto">
        <AuditDiff before={before} after={after} labels={request.state === "pending" ? ["Now", "After the change"] : ["Before", "After"]} />
      </div>
      {request.decidedByEmail && (
        <p className="text-sm text-slate-700">
          {request.state === "cancelled" ? "Cancelled" : "Decided"} by {request.decidedByEmail}
          {request.decisionComment && <> : “{request.decisionComment}”</>}
        </p>
      )}
      {request.state === "pending" && canDecide && <ChangeRequestDecision id={request.id} own={request.requestedBy === viewerId} />}
    </article>
  );
}
