import { and, asc, count, eq, ilike, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { getDb, queryRows, type Executor } from "@/db";
import { agents, agentVersionReports, type Agent } from "@/db/schema";
import type { AgentPolicyRefusal, AgentRuleOverride, VersionTargets } from "@/lib/agent-policy/types";
import type { AgentStatus, ReportedPolicyStatus } from "@/lib/agents/status";
import { matchesSelectorSql, onlineAgent, outdatedAgent } from "@/lib/agents/status-sql";

/** Inserts an agent; null when its random id is taken (the caller draws another). */
export async function insertAgent(values: typeof agents.$inferInsert, executor: Executor = getDb()): Promise<Agent | null> {
  const [agent] = await executor.insert(agents).values(values).onConflictDoNothing().returning();
  return agent ?? null;
}

/** The live (not revoked) agents holding these tokens, in one statement: connecting agents' lookups are batched. */
export function findAgentsByTokenHashes({ tokenHashes }: { tokenHashes: readonly string[] }): Promise<Agent[]> {
  return getDb()
    .select()
    .from(agents)
    .where(and(inArray(agents.tokenHash, [...tokenHashes]), isNull(agents.revokedAt)));
}

/** An agent of the organization, revoked or not; another organization's agent is null. With `lock`, locked until commit. */
export async function getAgent({ orgId, id, lock = false }: { orgId: string; id: string; lock?: boolean }, executor: Executor = getDb()): Promise<Agent | null> {
  const query = executor
    .select()
    .from(agents)
    .where(and(eq(agents.orgId, orgId), eq(agents.id, id)));
  const [agent] = lock ? await query.for("update") : await query;
  return agent ?? null;
}

export interface AgentListFilter {
  orgId: string;
  status: AgentStatus;
  /** Matches hostname or id. */
  search?: string;
  /** Which version applies to which agent, for `outdated`. */
  targets: Omit<VersionTargets, "highest">;
  offlineAfterSeconds: number;
  limit: number;
  offset: number;
}

function statusCondition({ status, targets, offlineAfterSeconds }: AgentListFilter): SQL | undefined {
  const live = isNull(agents.revokedAt);
  switch (status) {
    case "all":
      return live;
    case "revoked":
      return sql`${agents.revokedAt} is not null`;
    case "online":
      return and(live, onlineAgent(offlineAfterSeconds));
    case "offline":
      return and(live, sql`not coalesce(${onlineAgent(offlineAfterSeconds)}, false)`);
    case "outdated":
      return and(live, outdatedAgent(targets));
    case "stale":
      return and(live, eq(agents.reportedStatus, "stale"));
  }
}

/** A LIKE pattern matching `text` anywhere, with its own % and _ taken literally. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** A page of the organization's agents (by hostname), with the total matching the filter. */
export async function listAgents(filter: AgentListFilter): Promise<{ agents: Agent[]; total: number }> {
  const where = and(
    eq(agents.orgId, filter.orgId),
    statusCondition(filter),
    filter.search ? or(ilike(agents.hostname, containsPattern(filter.search)), ilike(agents.id, containsPattern(filter.search))) : undefined,
  );
  const [rows, [totals]] = await Promise.all([
    getDb().select().from(agents).where(where).orderBy(asc(agents.hostname), asc(agents.id)).limit(filter.limit).offset(filter.offset),
    getDb().select({ value: count() }).from(agents).where(where),
  ]);
  return { agents: rows, total: totals?.value ?? 0 };
}

/** Replaces a live agent's overrides or labels. Null when the organization has no such live agent. */
export async function updateLiveAgent(
  { orgId, id, changes }: { orgId: string; id: string; changes: { overrides: AgentRuleOverride[] } | { labels: Record<string, string> } },
  executor: Executor = getDb(),
): Promise<Agent | null> {
  const [agent] = await executor
    .update(agents)
    .set(changes)
    .where(and(eq(agents.orgId, orgId), eq(agents.id, id), isNull(agents.revokedAt)))
    .returning();
  return agent ?? null;
}

/** Live agents of the organization whose labels a stored selector matches. */
export async function countLiveAgentsMatching({ orgId, selector }: { orgId: string; selector: string }, executor: Executor = getDb()): Promise<number> {
  const [row] = await executor
    .select({ value: count() })
    .from(agents)
    .where(and(eq(agents.orgId, orgId), isNull(agents.revokedAt), matchesSelectorSql(selector)));
  return row?.value ?? 0;
}

/** Revokes a live agent of the organization. Null when there is none. */
export async function revokeAgentRow({ orgId, id }: { orgId: string; id: string }, executor: Executor = getDb()): Promise<Agent | null> {
  const [agent] = await executor
    .update(agents)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(agents.orgId, orgId), eq(agents.id, id), isNull(agents.revokedAt)))
    .returning();
  return agent ?? null;
}

export interface HeartbeatRecord {
  agentId: string;
  orgId: string;
  at: Date;
  version: number | null;
  agentVersion: string | null;
  hostname: string | null;
  /** Where the beat came from, for the audit row of a hostname change. */
  ip: string | null;
  /** What the agent said of its policy: null when it did not say (an agent that predates signed policies). */
  status: ReportedPolicyStatus | null;
  refusal: AgentPolicyRefusal | null;
}

export interface HostnameChange {
  agentId: string;
  orgId: string;
  previousHostname: string;
  hostname: string;
}

/**
 * Writes a batch of heartbeats in one statement, however many agents beat: last seen, reported version (and
 * since when), agent version, hostname, and the policy status and last refusal the agent reported (as it reported
 * them: a beat without them clears them). Returns the agents whose hostname changed.
 */
export async function updateHeartbeats(batch: HeartbeatRecord[], executor: Executor): Promise<HostnameChange[]> {
  if (batch.length === 0) return [];
  const rows = sql.join(
    batch.map(
      (beat) =>
        sql`(${beat.agentId}, ${beat.at.toISOString()}::timestamptz, ${beat.version}::integer, ${beat.agentVersion}::text, ${beat.hostname}::text, ${beat.status}::text, ${beat.refusal === null ? null : JSON.stringify(beat.refusal)}::jsonb)`,
    ),
    sql`, `,
  );
  // `previous` is read from the statement's snapshot: the row as it was before this update.
  const changes = await queryRows<{ id: string; org_id: string; previous_hostname: string; hostname: string }>(
    executor,
    sql`
    with updated as (
      update ${agents} set
        last_seen_at = greatest(${agents.lastSeenAt}, beat.at),
        reported_version_since = case when ${agents.reportedVersion} is distinct from beat.version then beat.at else ${agents.reportedVersionSince} end,
        reported_version = beat.version,
        agent_version = coalesce(beat.agent_version, ${agents.agentVersion}),
        hostname = coalesce(beat.hostname, ${agents.hostname}),
        reported_status = beat.status,
        reported_refusal = beat.refusal
      from (values ${rows}) as beat(id, at, version, agent_version, hostname, status, refusal), ${agents} as previous
      where ${agents.id} = beat.id and previous.id = beat.id and ${agents.revokedAt} is null
      returning ${agents.id} as id, ${agents.orgId} as org_id, previous.hostname as previous_hostname, ${agents.hostname} as hostname
    )
    select id, org_id, previous_hostname, hostname from updated where hostname is distinct from previous_hostname`,
  );
  return changes.map((change) => ({ agentId: change.id, orgId: change.org_id, previousHostname: change.previous_hostname, hostname: change.hostname }));
}

/** Records the first report of each version by each agent: the raw material of convergence figures. */
export async function insertVersionReports(batch: HeartbeatRecord[], executor: Executor): Promise<void> {
  const reports = batch.flatMap(({ orgId, agentId, version, at }) => (version === null ? [] : [{ orgId, agentId, version, firstReportedAt: at }]));
  if (reports.length > 0) await executor.insert(agentVersionReports).values(reports).onConflictDoNothing();
}

/** When the agent first reported this version, or null. */
export async function firstReportedAt({ agentId, version }: { agentId: string; version: number }): Promise<Date | null> {
  const [row] = await getDb()
    .select({ at: agentVersionReports.firstReportedAt })
    .from(agentVersionReports)
    .where(and(eq(agentVersionReports.agentId, agentId), eq(agentVersionReports.version, version)));
  return row?.at ?? null;
}

