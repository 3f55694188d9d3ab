import { and, count, desc, eq, isNull, max, sql } from "drizzle-orm";
import { getDb, queryRows } from "@/db";
import { matchesSelectorSql, onlineAgent, outdatedAgent, targetVersionSql } from "@/lib/agents/status-sql";
import type { RolloutStage, VersionTargets } from "@/lib/agent-policy/types";
import { loadVersionTargets } from "./agent-policies";
import { agentPolicyVersions, agents, agentVersionReports, orgCounters } from "@/db/schema";

export interface VersionConvergence {
  version: number;
  name: string;
  createdAt: Date;
  stage: RolloutStage;
  selector: string | null;
  /** Agents that have reported running this version at some point. */
  applied: number;
  /** When every online agent first ran it; null until then. */
  convergedAt: Date | null;
}

export interface FleetConvergence {
  latestVersion: number | null;
  agents: { total: number; online: number; offline: number; upToDate: number; outdated: number };
  versions: VersionConvergence[];
}

/**
 * The fleet against the versions that apply to it: online agents (a heartbeat within `offlineAfterSeconds`) that
 * run theirs (the active version, or a rollout's for its agents), those that do not, and for recent versions how
 * many applied them and when the agents they apply to converged.
 */
export async function fleetConvergence({ orgId, offlineAfterSeconds, versions = 10 }: { orgId: string; offlineAfterSeconds: number; versions?: number }): Promise<FleetConvergence> {
  const recent = await getDb()
    .select({
      version: agentPolicyVersions.version,
      name: agentPolicyVersions.name,
      createdAt: agentPolicyVersions.createdAt,
      convergedAt: agentPolicyVersions.convergedAt,
      stage: agentPolicyVersions.stage,
      selector: agentPolicyVersions.selector,
      applied: count(agentVersionReports.agentId),
    })
    .from(agentPolicyVersions)
    .leftJoin(agentVersionReports, and(eq(agentVersionReports.orgId, agentPolicyVersions.orgId), eq(agentVersionReports.version, agentPolicyVersions.version)))
    .where(eq(agentPolicyVersions.orgId, orgId))
    .groupBy(agentPolicyVersions.id)
    .orderBy(desc(agentPolicyVersions.version))
    .limit(versions);
  const targets = await loadVersionTargets({ orgId });
  const online = onlineAgent(offlineAfterSeconds);
  const [counts] = await getDb()
    .select({
      total: sql<number>`count(*)::int`,
      online: sql<number>`count(*) filter (where ${online})::int`,
      upToDate: sql<number>`count(*) filter (where ${online} and ${agents.reportedVersion} = ${targetVersionSql(targets)})::int`,
      outdated: sql<number>`count(*) filter (where ${online} and ${outdatedAgent(targets)})::int`,
    })
    .from(agents)
    .where(and(eq(agents.orgId, orgId), isNull(agents.revokedAt)));
  const { total = 0, online: onlineCount = 0, upToDate = 0, outdated = 0 } = counts ?? {};
  return {
    latestVersion: targets.fleet,
    agents: { total, online: onlineCount, offline: total - onlineCount, upToDate, outdated },
    versions: recent,
  };
}

/** Online agents that `version` applies to (by `targets`), and how many of them run another. */
export async function onlineAgentsBehind({ orgId, version, targets, offlineAfterSeconds }: { orgId: string; version: number; targets: Omit<VersionTargets, "highest">; offlineAfterSeconds: number }) {
  const [row] = await getDb()
    .select({
      online: sql<number>`count(*)::int`,
      outdated: sql<number>`count(*) filter (where ${outdatedAgent(targets)})::int`,
    })
    .from(agents)
    .where(and(eq(agents.orgId, orgId), isNull(agents.revokedAt), onlineAgent(offlineAfterSeconds), sql`${targetVersionSql(targets)} = ${version}`));
  return { online: row?.online ?? 0, outdated: row?.outdated ?? 0 };
}

/** A rollout's agents, live: how many run its version, run another while online, and are offline. */
export async function rolloutStageCounts({ orgId, version, selector, offlineAfterSeconds }: { orgId: string; version: number; selector: string; offlineAfterSeconds: number }) {
  const online = onlineAgent(offlineAfterSeconds);
  const [row] = await getDb()
    .select({
      targeted: sql<number>`count(*)::int`,
      applied: sql<number>`count(*) filter (where ${agents.reportedVersion} = ${version})::int`,
      outdated: sql<number>`count(*) filter (where coalesce(${online}, false) and coalesce(${agents.reportedVersion}, 0) <> ${version})::int`,
      offline: sql<number>`count(*) filter (where not coalesce(${online}, false))::int`,
    })
    .from(agents)
    .where(and(eq(agents.orgId, orgId), isNull(agents.revokedAt), matchesSelectorSql(selector)));
  return { targeted: row?.targeted ?? 0, applied: row?.applied ?? 0, outdated: row?.outdated ?? 0, offline: row?.offline ?? 0 };
}

/** When the last agent first reported this version: the moment the fleet converged on it. */
export async function lastFirstReport({ orgId, version }: { orgId: string; version: number }): Promise<Date | null> {
  const [row] = await getDb()
    .select({ at: max(agentVersionReports.firstReportedAt) })
    .from(agentVersionReports)
    .where(and(eq(agentVersionReports.orgId, orgId), eq(agentVersionReports.version, version)));
  return row?.at ?? null;
}

/**
 * Keeps the version reports of each organization's newest `keepVersions` versions. Agents can only report
 * published versions, so this bounds the table at `keepVersions` rows per agent.
 */
export async function pruneVersionReports({ keepVersions }: { keepVersions: number }): Promise<void> {
  await getDb().execute(sql`
    delete from ${agentVersionReports} using ${orgCounters}
    where ${orgCounters.orgId} = ${agentVersionReports.orgId} and ${agentVersionReports.version} <= ${orgCounters.agentPolicyVersion} - ${keepVersions}`);
}

/**
 * One version's convergence, or one stage's of a staged version: agents that had applied it, by seconds since the
 * stage began. A version rolled out to a selector has a `canary` stage from its publication; once promoted, a
 * `fleet` stage from its promotion, which starts from the canary agents already up to date.
 */
export interface ConvergenceCurve {
  version: number;
  name: string;
  stage: "canary" | "fleet";
  selector: string | null;
  /** When the stage began: the version's publication, or its promotion. */
  startedAt: Date;
  /** Cumulative: `upToDate` agents had first reported this version by `seconds` after the stage began. */
  points: { seconds: number; upToDate: number }[];
}

/** Points per curve at most: each stage's span is cut into this many steps, so a long tail stays small. */
const CURVE_STEPS = 60;

/**
 * For the recent versions, how many agents had applied each one over time since it was published (and, for a
 * promoted rollout, since its promotion), from the heartbeat history (each agent's first report of a version).
 * Counted in SQL in at most CURVE_STEPS steps per stage, so a fleet of any size sends a few hundred numbers.
 */
export async function convergenceCurves({ orgId, versions = 5 }: { orgId: string; versions?: number }): Promise<ConvergenceCurve[]> {
  const recent = await getDb()
    .select({
      version: agentPolicyVersions.version,
      name: agentPolicyVersions.name,
      selector: agentPolicyVersions.selector,
      publishedAt: agentPolicyVersions.createdAt,
      promotedAt: agentPolicyVersions.promotedAt,
    })
    .from(agentPolicyVersions)
    .where(eq(agentPolicyVersions.orgId, orgId))
    .orderBy(desc(agentPolicyVersions.version))
    .limit(versions);
  if (recent.length === 0) return [];
  const rows = await queryRows<{ version: number; promoted: boolean; seconds: number; agents: number }>(
    getDb(),
    sql`with reports as (
          select r.version, (v.promoted_at is not null and r.first_reported_at >= v.promoted_at) as promoted,
                 greatest(extract(epoch from r.first_reported_at - case when r.first_reported_at >= v.promoted_at then v.promoted_at else v.created_at end), 0) as secs
          from ${agentVersionReports} r
          join ${agentPolicyVersions} v on v.org_id = r.org_id and v.version = r.version
          where r.org_id = ${orgId} and r.version >= ${recent.at(-1)!.version}
        ), stepped as (
          select version, promoted, secs, greatest(ceil(max(secs) over (partition by version, promoted) / ${CURVE_STEPS}), 1) as step from reports
        )
        select version, promoted, (ceil(secs / step) * step)::int as seconds, count(*)::int as agents
        from stepped group by version, promoted, 3 order by version, promoted, 3`,
  );
  const curve = (version: number, promoted: boolean, from: number) => {
    let total = from;
    const points = rows.filter((row) => row.version === version && row.promoted === promoted).map((row) => ({ seconds: row.seconds, upToDate: (total += row.agents) }));
    return points.length > 0 ? [{ seconds: 0, upToDate: from }, ...points] : [];
  };
  return recent.flatMap(({ version, name, selector, publishedAt, promotedAt }) => {
    const first: ConvergenceCurve = { version, name, stage: selector ? "canary" : "fleet", selector, startedAt: publishedAt, points: curve(version, false, 0) };
    if (!promotedAt) return [first];
    const promoted: ConvergenceCurve = { version, name, stage: "fleet", selector, startedAt: promotedAt, points: curve(version, true, first.points.at(-1)?.upToDate ?? 0) };
    return [promoted, first];
  });
}
