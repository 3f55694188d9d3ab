import type { AuditDeliveryListing, AuditDestinationWithHealth, PublicAuditDestination } from "@/db/queries/audit-destinations";
import type { AuditLog } from "@/db/schema";
import { toAuditLogJson } from "@/lib/audit/serialize";

/** A destination as the API shows it: never its secret. */
export function toDestinationJson(destination: PublicAuditDestination) {
  return {
    id: destination.id,
    url: destination.url,
    actions: destination.actions,
    enabled: destination.enabled,
    createdBy: destination.createdBy,
    createdAt: destination.createdAt.toISOString(),
  };
}

/** A destination with its delivery health, as `GET /api/audit-logs/destinations` lists it. */
export function toDestinationHealthJson(destination: AuditDestinationWithHealth) {
  return {
    ...toDestinationJson(destination),
    health: {
      lastDeliveredAt: destination.lastDeliveredAt?.toISOString() ?? null,
      lastFailedAt: destination.lastFailedAt?.toISOString() ?? null,
      lastError: destination.lastError,
      lastStatus: destination.lastStatus,
      pending: destination.pending,
      dead: destination.dead,
    },
  };
}

export type DestinationHealthJson = ReturnType<typeof toDestinationHealthJson>;

export function toDeliveryJson(delivery: AuditDeliveryListing) {
  return {
    id: delivery.id,
    chainPosition: delivery.chainPosition,
    action: delivery.action,
    resource: delivery.resource,
    state: delivery.state,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.state === "pending" ? delivery.nextAttemptAt.toISOString() : null,
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
  };
}

/**
 * What a destination receives for one audit row: the row as `GET /api/audit-logs` shows it (its `chain_position`
 * and `hash` included, so a receiver can check the chain and the signed checkpoints it carries), with its organization.
 */
export function toDeliveryPayload(row: AuditLog) {
  const { id, ...rest } = toAuditLogJson(row);
  return { id, org_id: row.orgId, ...rest };
}
