import { and, asc, eq, gt, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { agentEvents, agentPolicyVersions, orgCounters, type AgentEvent } from "@/db/schema";
import type { PolicyState } from "@/lib/agent-policy/types";
import type { AgentEventType } from "@/lib/events/event-types";

/**
 * Takes the organization's next event id from its counter row, whose lock is held until commit, so ids commit
 * in order without gaps: a subscriber that has seen id N has seen everything before it.
 */
export async function nextAgentEventId({ orgId }: { orgId: string }, executor: Executor): Promise<number> {
  const [counter] = await executor
    .update(orgCounters)
    .set({ agentEventId: sql`${orgCounters.agentEventId} + 1` })
    .where(eq(orgCounters.orgId, orgId))
    .returning({ id: orgCounters.agentEventId });
  if (!counter) throw new Error(`organization ${orgId} has no counters row`);
  return counter.id;
}

export async function insertAgentEvent(
  event: { orgId: string; id: number; agentId: string | null; type: AgentEventType; payload: unknown },
  executor: Executor,
): Promise<void> {
  await executor.insert(agentEvents).values(event);
}

/**
 * Where the organization's event log stands, in one statement: its latest event id (0 before the first) and the
 * agent policy state as of that event.
 */
export async function loadLogPosition({ orgId }: { orgId: string }): Promise<{ upTo: number; state: PolicyState }> {
  const [row] = await getDb()
    .select({ upTo: orgCounters.agentEventId, state: policyStatePayload(orgId) })
    .from(orgCounters)
    .where(eq(orgCounters.orgId, orgId));
  return { upTo: row ? Number(row.upTo) : 0, state: row?.state ?? { fleet: null, rollout: null } };
}

/** The organization's agent policy state (the active version, the one rolling out, the highest published), as a `policy_version` event carries it. */
export function policyStatePayload(orgId: string) {
  const payload = sql`json_build_object('version', v.version, 'policyId', v.id, 'name', v.name, 'rules', v.rules)`;
  return sql<PolicyState>`json_build_object(
    'fleet', (select ${payload} from ${agentPolicyVersions} v where v.org_id = ${orgId} and v.stage = 'fleet' order by v.version desc limit 1),
    'rollout', (select json_build_object('selector', v.selector, 'version', ${payload}) from ${agentPolicyVersions} v where v.org_id = ${orgId} and v.stage = 'canary'),
    'highest', (select coalesce(max(v.version), 0) from ${agentPolicyVersions} v where v.org_id = ${orgId}))`;
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
