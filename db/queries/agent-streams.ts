import { eq, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { agentEvents, agents, orgCounters, policies, type AgentEvent } from "@/db/schema";
import { policyStatePayload } from "./agent-events";
import type { AgentRuleOverride, PolicyState } from "@/lib/agent-policy/types";
import { AGENT_ENFORCED_TYPES } from "@/lib/policies/constants";
import type { AgentSecurityPolicy } from "@/lib/policies/serialize";

export interface StreamStartData {
  /** The organization's latest event id: the start covers everything up to it. */
  upTo: number;
  /** The oldest event id still in the log (null when empty). */
  oldestRetained: number | null;
  state: PolicyState;
  overrides: AgentRuleOverride[];
  labels: Record<string, string>;
  /** Whether the agent is revoked (or gone) in this snapshot: a token lookup may have raced the revocation. */
  revoked: boolean;
  securityPolicies: AgentSecurityPolicy[];
  /** With `afterId`: the agent's events after it, oldest first. */
  events: AgentEvent[] | null;
}

type RawEvent = Omit<AgentEvent, "createdAt"> & { createdAt: string };

/**
 * Everything a new stream starts from, in ONE statement: one snapshot of the database, so the log position
 * and the state always match, and one round trip per connecting agent instead of six.
 */
export async function loadStreamStart({ orgId, agentId, afterId }: { orgId: string; agentId: string; afterId: number | null }): Promise<StreamStartData> {
  const enforced = sql.join(
    AGENT_ENFORCED_TYPES.map((type) => sql`${type}`),
    sql`, `,
  );
  const [row] = await getDb()
    .select({
      upTo: orgCounters.agentEventId,
      oldestRetained: sql<number | null>`(select min(${agentEvents.id}) from ${agentEvents} where ${agentEvents.orgId} = ${orgId})`,
      state: policyStatePayload(orgId),
      overrides: sql<AgentRuleOverride[] | null>`(select ${agents.overrides} from ${agents} where ${agents.id} = ${agentId})`,
      labels: sql<Record<string, string> | null>`(select ${agents.labels} from ${agents} where ${agents.id} = ${agentId})`,
      live: sql<boolean>`exists (select 1 from ${agents} where ${agents.id} = ${agentId} and ${agents.revokedAt} is null)`,
      securityPolicies: sql<AgentSecurityPolicy[]>`(
        select coalesce(json_agg(json_build_object('id', p.id, 'name', p.name, 'type', p.type, 'enabled', p.enabled, 'rules', p.rules) order by p.created_at, p.id), '[]'::json)
        from ${policies} p where p.org_id = ${orgId} and p.type in (${enforced}))`,
      events: sql<RawEvent[] | null>`(
        select json_agg(json_build_object('orgId', e.org_id, 'id', e.id, 'agentId', e.agent_id, 'type', e.type, 'payload', e.payload, 'createdAt', e.created_at) order by e.id)
        from ${agentEvents} e
        where ${afterId !== null} and e.org_id = ${orgId} and e.id > ${afterId ?? 0} and (e.agent_id is null or e.agent_id = ${agentId}))`,
    })
    .from(orgCounters)
    .where(eq(orgCounters.orgId, orgId));
  if (!row) throw new Error(`organization ${orgId} has no counters row`);
  return {
    upTo: Number(row.upTo),
    oldestRetained: row.oldestRetained === null ? null : Number(row.oldestRetained),
    state: row.state,
    overrides: row.overrides ?? [],
    labels: row.labels ?? {},
    revoked: !row.live,
    securityPolicies: row.securityPolicies,
    events: afterId === null ? null : (row.events ?? []).map((event) => ({ ...event, id: Number(event.id), createdAt: new Date(event.createdAt) })),
  };
}
