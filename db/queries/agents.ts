import { and, asc, count, eq, ilike, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { getDb, queryRows } from "@/db";
import { agents, agentVersionReports, type Agent } from "@/db/schema";
import { type AgentRuleOverride } from "@/lib/agent-policy/types";
import { newAgentId } from "@/lib/ids";
import { appendAgentEvent } from "./agent-events";
import { recordAudit, type Actor } from "@/lib/audit/log";
import { consumeEnrollmentKey } from "./enrollment-keys";

export interface EnrollAgentInput {
  keyHash: string;
  tokenHash: string;
  hostname: string;
  agentVersion: string | null;
  labels: Record<string, string>;
  ip: string | null;
  userAgent: string | null;
}

// agent-<8 hex> leaves 2^32 ids: a fleet of thousands can collide, so a taken id is retried.
const ENROLL_ID_ATTEMPTS = 5;

/** Enrols an agent with a live enrollment key, spending one use, and audits it. Null when the key is not usable. */
export async function enrollAgent(input: EnrollAgentInput): Promise<Agent | null> {
  return getDb().transaction(async (tx) => {
    const key = await consumeEnrollmentKey(tx, { keyHash: input.keyHash });
    if (!key) return null;
    let agent: Agent | undefined;
    for (let attempt = 0; !agent && attempt < ENROLL_ID_ATTEMPTS; attempt++) {
      [agent] = await tx
        .insert(agents)
        .values({
          id: newAgentId(),
          orgId: key.orgId,
          hostname: input.hostname,
          agentVersion: input.agentVersion,
          labels: input.labels,
          tokenHash: input.tokenHash,
          enrollmentKeyId: key.id,
        })
        .onConflictDoNothing()
        .returning();
    }
    if (!agent) throw new Error("could not allocate a free agent id");
    const actor: Actor = { orgId: key.orgId, userId: null, email: null, ip: input.ip, userAgent: input.userAgent };
    await recordAudit(actor, {
      action: "enroll_agent",
      resource: `agent:${agent.id}`,
      details: `Enrolled ${agent.hostname} with enrollment key ${key.id}`,
      success: true,
      after: { id: agent.id, hostname: agent.hostname, agentVersion: agent.agentVersion, labels: agent.labels },
    }, tx);
    return agent;
  });
}

/** The live (not revoked) agent holding this token. */
export async function findAgentByTokenHash({ tokenHash }: { tokenHash: string }): Promise<Agent | null> {
  const [agent] = await getDb()
    .select()
    .from(agents)
    .where(and(eq(agents.tokenHash, tokenHash), isNull(agents.revokedAt)));
  return agent ?? null;
}

/** An agent of the organization, revoked or not; another organization's agent is null. */
export async function getAgent({ orgId, id }: { orgId: string; id: string }): Promise<Agent | null> {
  const [agent] = await getDb()
    .select()
    .from(agents)
    .where(and(eq(agents.orgId, orgId), eq(agents.id, id)));
  return agent ?? null;
}

export type AgentStatusFilter = "all" | "online" | "offline" | "outdated" | "revoked";

export interface AgentListFilter {
  orgId: string;
  status: AgentStatusFilter;
  /** Matches hostname or id. */
  search?: string;
  latestVersion: number | null;
  offlineAfterSeconds: number;
  limit: number;
  offset: number;
}

function statusCondition({ status, latestVersion, offlineAfterSeconds }: AgentListFilter): SQL | undefined {
  const cutoff = sql`now() - make_interval(secs => ${offlineAfterSeconds})`;
  const online = sql`${agents.lastSeenAt} > ${cutoff}`;
  switch (status) {
    case "all":
      return isNull(agents.revokedAt);
    case "revoked":
      return sql`${agents.revokedAt} is not null`;
    case "online":
      return and(isNull(agents.revokedAt), online);
    case "offline":
      return and(isNull(agents.revokedAt), or(isNull(agents.lastSeenAt), sql`${agents.lastSeenAt} <= ${cutoff}`));
    case "outdated":
      return latestVersion === null
        ? sql`false`
        : and(isNull(agents.revokedAt), or(isNull(agents.reportedVersion), lt(agents.reportedVersion, latestVersion)));
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

/** Replaces an agent's overrides; the change reaches only that agent's streams, and is audited. Null if no such live agent. */
export async function setAgentOverrides({ actor, id, overrides }: { actor: Actor; id: string; overrides: AgentRuleOverride[] }): Promise<Agent | null> {
  return getDb().transaction(async (tx) => {
    const [before] = await tx
      .select({ overrides: agents.overrides })
      .from(agents)
      .where(and(eq(agents.orgId, actor.orgId), eq(agents.id, id), isNull(agents.revokedAt)))
      .for("update");
    if (!before) return null;
    const [after] = await tx.update(agents).set({ overrides }).where(eq(agents.id, id)).returning();
    if (!after) throw new Error("locked agent row vanished");
    await appendAgentEvent(tx, { orgId: actor.orgId, agentId: id, type: "overrides", payload: { overrides } });
    await recordAudit(actor, {
      action: "set_agent_overrides",
      resource: `agent:${id}`,
      details: overrides.length === 0 ? `Cleared the overrides of ${after.hostname}` : `Set ${overrides.length} override(s) on ${after.hostname}`,
      success: true,
      before: { overrides: before.overrides },
      after: { overrides },
    }, tx);
    return after;
  });
}

/** Revokes an agent: its token stops working and its open streams get a `revoked` event and close. */
export async function revokeAgent({ actor, id }: { actor: Actor; id: string }): Promise<Agent | null> {
  return getDb().transaction(async (tx) => {
    const [agent] = await tx
      .update(agents)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(agents.orgId, actor.orgId), eq(agents.id, id), isNull(agents.revokedAt)))
      .returning();
    if (!agent) return null;
    await appendAgentEvent(tx, { orgId: actor.orgId, agentId: id, type: "revoked", payload: { reason: "revoked" } });
    await recordAudit(actor, {
      action: "revoke_agent",
      resource: `agent:${id}`,
      details: `Revoked ${agent.hostname}`,
      success: true,
    }, tx);
    return agent;
  });
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
}

interface HostnameChange {
  id: string;
  org_id: string;
  previous_hostname: string;
  hostname: string;
}

/**
 * Writes a batch of heartbeats in a few statements, however many agents beat: last seen, reported version
 * (and since when), the first report of each version (the raw material of convergence figures), and an audit
 * row for each agent whose reported hostname changed, so a renamed host is never silent.
 */
export async function recordHeartbeats(batch: HeartbeatRecord[]): Promise<void> {
  if (batch.length === 0) return;
  const rows = sql.join(
    batch.map((beat) => sql`(${beat.agentId}, ${beat.at.toISOString()}::timestamptz, ${beat.version}::integer, ${beat.agentVersion}::text, ${beat.hostname}::text)`),
    sql`, `,
  );
  await getDb().transaction(async (tx) => {
    // `previous` is read from the statement's snapshot: the row as it was before this update.
    const changes = await queryRows<HostnameChange>(
      tx,
      sql`
      with updated as (
        update ${agents} set
          last_seen_at = greatest(${agents.lastSeenAt}, beat.at),
          reported_version_since = case when ${agents.reportedVersion} is distinct from beat.version then beat.at else ${agents.reportedVersionSince} end,
          reported_version = beat.version,
          agent_version = coalesce(beat.agent_version, ${agents.agentVersion}),
          hostname = coalesce(beat.hostname, ${agents.hostname})
        from (values ${rows}) as beat(id, at, version, agent_version, hostname), ${agents} as previous
        where ${agents.id} = beat.id and previous.id = beat.id and ${agents.revokedAt} is null
        returning ${agents.id} as id, ${agents.orgId} as org_id, previous.hostname as previous_hostname, ${agents.hostname} as hostname
      )
      select id, org_id, previous_hostname, hostname from updated where hostname is distinct from previous_hostname`,
    );
    const reports = batch.flatMap(({ orgId, agentId, version, at }) => (version === null ? [] : [{ orgId, agentId, version, firstReportedAt: at }]));
    if (reports.length > 0) await tx.insert(agentVersionReports).values(reports).onConflictDoNothing();
    const ipOf = new Map(batch.map((beat) => [beat.agentId, beat.ip]));
    for (const change of changes) {
      await recordAudit({ orgId: change.org_id, userId: null, email: null, ip: ipOf.get(change.id) ?? null, userAgent: "palisade-agent" }, {
        action: "agent_hostname_changed",
        resource: `agent:${change.id}`,
        details: `Agent ${change.id} reported a new hostname: ${JSON.stringify(change.previous_hostname)} → ${JSON.stringify(change.hostname)}`,
        success: true,
        before: { hostname: change.previous_hostname },
        after: { hostname: change.hostname },
      }, tx);
    }
  });
}

/** When the agent first reported this version, or null. */
export async function firstReportedAt({ agentId, version }: { agentId: string; version: number }): Promise<Date | null> {
  const [row] = await getDb()
    .select({ at: agentVersionReports.firstReportedAt })
    .from(agentVersionReports)
    .where(and(eq(agentVersionReports.agentId, agentId), eq(agentVersionReports.version, version)));
  return row?.at ?? null;
}
