import type { ChangeRequest } from "@/db/schema";

/** A change request on the wire. */
export function toChangeRequestJson(request: ChangeRequest) {
  return {
    id: request.id,
    action: request.action,
    target: request.target,
    state: request.state,
    requested_by: request.requestedByEmail,
    reason: request.reason,
    preview: request.preview,
    decided_by: request.decidedByEmail,
    decision_comment: request.decisionComment,
    decided_at: request.decidedAt?.toISOString() ?? null,
    expires_at: request.expiresAt.toISOString(),
    created_at: request.createdAt.toISOString(),
  };
}
