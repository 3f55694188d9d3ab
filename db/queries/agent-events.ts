import { and, asc, eq, gt, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { agentEvents, orgCounters, type AgentEvent } from "@/db/schema";
import { type AgentEventType } from "@/lib/events/event-types";

/**
 * The channel every instance LISTENs on. Payloads are "<orgId>:<eventId>", plus ":<type>:<agentId>" for an
 * event meant for one agent: far below NOTIFY's 8000-byte limit, and never the event itself.
 */
export const AGENT_EVENTS_CHANNEL = "palisade_agent_events";

export interface NewAgentEvent {
  orgId: string;
  /** Only this agent receives it; omitted: every agent of the organization. */
  agentId?: string;
  type: AgentEventType;
  payload: unknown;
}

/**
 * Appends an event to the organization's log inside the caller's transaction, and queues its NOTIFY,
 * which PostgreSQL delivers only if and when that transaction commits. The id comes from the
 * organization's counter row, whose lock is held until commit, so ids commit in order without gaps:
 * a subscriber that has seen id N has seen everything before it.
 */
export async function appendAgentEvent(tx: Executor, event: NewAgentEvent): Promise<number> {
  const [counter] = await tx
    .update(orgCounters)
    .set({ agentEventId: sql`${orgCounters.agentEventId} + 1` })
    .where(eq(orgCounters.orgId, event.orgId))
    .returning({ id: orgCounters.agentEventId });
  if (!counter) throw new Error(`organization ${event.orgId} has no counters row`);
  await tx.insert(agentEvents).values({ orgId: event.orgId, id: counter.id, agentId: event.agentId ?? null, type: event.type, payload: event.payload });
  const target = event.agentId ? `:${event.type}:${event.agentId}` : "";
  await tx.execute(sql`select pg_notify(${AGENT_EVENTS_CHANNEL}, ${`${event.orgId}:${counter.id}${target}`})`);
  return counter.id;
}

/** The id of the organization's latest event (0 before the first). */
export async function lastAgentEventId({ orgId }: { orgId: string }): Promise<number> {
  const [row] = await getDb().select({ id: orgCounters.agentEventId }).from(orgCounters).where(eq(orgCounters.orgId, orgId));
  return row?.id ?? 0;
}

/** The organization's events after `afterId`, oldest first, at most `limit` (the hub reads in batches). */
export function listAgentEventsAfter({ orgId, afterId, limit = 1000 }: { orgId: string; afterId: number; limit?: number }): Promise<AgentEvent[]> {
  return getDb()
    .select()
    .from(agentEvents)
    .where(and(eq(agentEvents.orgId, orgId), gt(agentEvents.id, afterId)))
    .orderBy(asc(agentEvents.id))
    .limit(limit);
}

/** Keeps the newest `keep` events of each organization. Older ids get a `reset` snapshot on resume. */
export async function pruneAgentEvents({ keep }: { keep: number }): Promise<void> {
  await getDb().execute(sql`
    delete from ${agentEvents} using (
      select ${agentEvents.orgId} as org_id, max(${agentEvents.id}) as top from ${agentEvents} group by ${agentEvents.orgId}
    ) latest
    where latest.org_id = ${agentEvents.orgId} and ${agentEvents.id} <= latest.top - ${keep}`);
}
