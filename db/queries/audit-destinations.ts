import { and, asc, desc, eq, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { auditDeliveries, auditDestinations, auditLogs, type AuditDestination } from "@/db/schema";
import type { AuditDeliveryState } from "@/lib/audit/constants";

/** A destination as it may be shown: everything but its sealed secret. */
export type PublicAuditDestination = Omit<AuditDestination, "sealedSecret">;

const publicColumns = {
  id: auditDestinations.id,
  orgId: auditDestinations.orgId,
  url: auditDestinations.url,
  actions: auditDestinations.actions,
  enabled: auditDestinations.enabled,
  createdBy: auditDestinations.createdBy,
  lastDeliveredAt: auditDestinations.lastDeliveredAt,
  lastFailedAt: auditDestinations.lastFailedAt,
  lastError: auditDestinations.lastError,
  createdAt: auditDestinations.createdAt,
};

const countIn = (state: AuditDeliveryState) =>
  sql<number>`(select count(*)::int from audit_deliveries x where x.destination_id = audit_destinations.id and x.state = ${state})`.mapWith(Number);

/** A destination with its delivery health: what is waiting, what gave up, and the latest failure's status. */
export interface AuditDestinationWithHealth extends PublicAuditDestination {
  pending: number;
  dead: number;
  lastStatus: number | null;
}

export async function insertAuditDestination(values: typeof auditDestinations.$inferInsert, executor: Executor): Promise<PublicAuditDestination> {
  const [row] = await executor.insert(auditDestinations).values(values).returning(publicColumns);
  if (!row) throw new Error("audit destination insert returned no row");
  return row;
}

export function listAuditDestinations({ orgId }: { orgId: string }): Promise<AuditDestinationWithHealth[]> {
  return getDb()
    .select({
      ...publicColumns,
      pending: countIn("pending"),
      dead: countIn("dead"),
      lastStatus: sql<number | null>`(select x.last_status from audit_deliveries x where x.destination_id = audit_destinations.id and x.last_status is not null order by x.id desc limit 1)`,
    })
    .from(auditDestinations)
    .where(eq(auditDestinations.orgId, orgId))
    .orderBy(asc(auditDestinations.createdAt), asc(auditDestinations.id));
}

/** The organization's destination, locked until commit (for an update that records before and after). */
export async function lockAuditDestination({ orgId, id }: { orgId: string; id: string }, executor: Executor): Promise<PublicAuditDestination | null> {
  const [row] = await executor
    .select(publicColumns)
    .from(auditDestinations)
    .where(and(eq(auditDestinations.orgId, orgId), eq(auditDestinations.id, id)))
    .for("update");
  return row ?? null;
}

export async function updateAuditDestinationRow(
  { orgId, id, set }: { orgId: string; id: string; set: Partial<Pick<AuditDestination, "url" | "sealedSecret" | "actions" | "enabled">> },
  executor: Executor,
): Promise<PublicAuditDestination | null> {
  const [row] = await executor
    .update(auditDestinations)
    .set(set)
    .where(and(eq(auditDestinations.orgId, orgId), eq(auditDestinations.id, id)))
    .returning(publicColumns);
  return row ?? null;
}

/** Deletes the organization's destination and (cascade) its outbox rows. */
export async function deleteAuditDestinationRow({ orgId, id }: { orgId: string; id: string }, executor: Executor): Promise<PublicAuditDestination | null> {
  const [row] = await executor
    .delete(auditDestinations)
    .where(and(eq(auditDestinations.orgId, orgId), eq(auditDestinations.id, id)))
    .returning(publicColumns);
  return row ?? null;
}

/** Dead deliveries of the destination back to pending, due now, with their attempts reset; all of them, or those named. */
export async function requeueDeadDeliveries({ orgId, destinationId, ids }: { orgId: string; destinationId: string; ids?: number[] }, executor: Executor): Promise<number[]> {
  const rows = await executor
    .update(auditDeliveries)
    .set({ state: "pending", attempts: 0, nextAttemptAt: sql`now()`, lastError: null, lastStatus: null })
    .where(
      and(
        eq(auditDeliveries.orgId, orgId),
        eq(auditDeliveries.destinationId, destinationId),
        eq(auditDeliveries.state, "dead"),
        ids === undefined ? undefined : sql`${auditDeliveries.id} = any(${`{${ids.join(",")}}`}::bigint[])`,
      ),
    )
    .returning({ id: auditDeliveries.id });
  return rows.map((row) => row.id).sort((a, b) => a - b);
}

/** A delivery as the console and the API list it, with the audit row it carries. */
export interface AuditDeliveryListing {
  id: number;
  chainPosition: number;
  state: AuditDeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
  action: string | null;
  resource: string | null;
}

/** The destination's deliveries in one state: oldest chain position first (dead letters), newest first (delivered). */
export function listAuditDeliveries({ orgId, destinationId, state, limit }: { orgId: string; destinationId: string; state: AuditDeliveryState; limit: number }): Promise<AuditDeliveryListing[]> {
  return getDb()
    .select({
      id: auditDeliveries.id,
      chainPosition: auditDeliveries.chainPosition,
      state: auditDeliveries.state,
      attempts: auditDeliveries.attempts,
      nextAttemptAt: auditDeliveries.nextAttemptAt,
      lastStatus: auditDeliveries.lastStatus,
      lastError: auditDeliveries.lastError,
      deliveredAt: auditDeliveries.deliveredAt,
      createdAt: auditDeliveries.createdAt,
      action: auditLogs.action,
      resource: auditLogs.resource,
    })
    .from(auditDeliveries)
    .leftJoin(auditLogs, eq(auditLogs.seq, auditDeliveries.auditSeq))
    .where(and(eq(auditDeliveries.orgId, orgId), eq(auditDeliveries.destinationId, destinationId), eq(auditDeliveries.state, state)))
    .orderBy(state === "delivered" ? desc(auditDeliveries.chainPosition) : asc(auditDeliveries.chainPosition))
    .limit(limit);
}

export async function getAuditDestination({ orgId, id }: { orgId: string; id: string }): Promise<PublicAuditDestination | null> {
  const [row] = await getDb()
    .select(publicColumns)
    .from(auditDestinations)
    .where(and(eq(auditDestinations.orgId, orgId), eq(auditDestinations.id, id)));
  return row ?? null;
}
