import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { agentPolicyVersions, orgCounters, type AgentPolicyVersion } from "@/db/schema";
import type { VersionTargets } from "@/lib/agent-policy/types";

/**
 * Takes the organization's next version number. The counter row stays locked until the transaction ends, so
 * concurrent publishes are numbered in commit order with no gap or duplicate (a rolled-back one rolls its number
 * back too).
 */
export async function nextPolicyVersion({ orgId }: { orgId: string }, executor: Executor): Promise<number> {
  const [counter] = await executor
    .update(orgCounters)
    .set({ agentPolicyVersion: sql`${orgCounters.agentPolicyVersion} + 1` })
    .where(eq(orgCounters.orgId, orgId))
    .returning({ version: orgCounters.agentPolicyVersion });
  if (!counter) throw new Error(`organization ${orgId} has no counters row`);
  return counter.version;
}

export async function insertPolicyVersion(values: typeof agentPolicyVersions.$inferInsert, executor: Executor): Promise<AgentPolicyVersion> {
  const [created] = await executor.insert(agentPolicyVersions).values(values).returning();
  if (!created) throw new Error("policy version insert returned no row");
  return created;
}

/**
 * The active version: the one that applies to the fleet at large, the highest published to the whole fleet or
 * promoted (a rollout in progress is not it). Null before the first.
 */
export async function getActivePolicyVersion({ orgId }: { orgId: string }, executor: Executor = getDb()): Promise<AgentPolicyVersion | null> {
  const [row] = await executor
    .select()
    .from(agentPolicyVersions)
    .where(and(eq(agentPolicyVersions.orgId, orgId), eq(agentPolicyVersions.stage, "fleet")))
    .orderBy(desc(agentPolicyVersions.version))
    .limit(1);
  return row ?? null;
}

/** The version rolling out to a label selector's agents, if one is; `lock` holds it until the transaction ends. */
export async function getRolloutVersion({ orgId, lock = false }: { orgId: string; lock?: boolean }, executor: Executor = getDb()): Promise<AgentPolicyVersion | null> {
  const query = executor
    .select()
    .from(agentPolicyVersions)
    .where(and(eq(agentPolicyVersions.orgId, orgId), eq(agentPolicyVersions.stage, "canary")));
  const [row] = lock ? await query.for("update") : await query;
  return row ?? null;
}

/** The highest version number published, at any stage (0 before the first). */
export async function highestPolicyVersion({ orgId }: { orgId: string }, executor: Executor = getDb()): Promise<number> {
  const [counter] = await executor.select({ version: orgCounters.agentPolicyVersion }).from(orgCounters).where(eq(orgCounters.orgId, orgId));
  return counter?.version ?? 0;
}

/** Which version numbers apply, in one statement: the fleet's, the rollout's, and the highest published. */
export async function loadVersionTargets({ orgId }: { orgId: string }): Promise<VersionTargets> {
  const [row] = await getDb()
    .select({
      highest: orgCounters.agentPolicyVersion,
      fleet: sql<number | null>`(select max(v.version) from ${agentPolicyVersions} v where v.org_id = ${orgId} and v.stage = 'fleet')`,
      rollout: sql<{ version: number; selector: string } | null>`(
        select json_build_object('version', v.version, 'selector', v.selector) from ${agentPolicyVersions} v where v.org_id = ${orgId} and v.stage = 'canary')`,
    })
    .from(orgCounters)
    .where(eq(orgCounters.orgId, orgId));
  return { highest: row?.highest ?? 0, fleet: row?.fleet ?? null, rollout: row?.rollout ?? null };
}

/** Ends a rollout: its canary version is promoted to the fleet or aborted. Null when it is not rolling out (any more). */
export async function endRollout({ orgId, version, outcome }: { orgId: string; version: number; outcome: "promoted" | "aborted" }, executor: Executor): Promise<AgentPolicyVersion | null> {
  const [row] = await executor
    .update(agentPolicyVersions)
    // Promoted, its convergence is measured again: over the whole fleet now, not the canary agents.
    .set(outcome === "promoted" ? { stage: "fleet", promotedAt: sql`now()`, convergedAt: null } : { stage: "aborted", abortedAt: sql`now()` })
    .where(and(eq(agentPolicyVersions.orgId, orgId), eq(agentPolicyVersions.version, version), eq(agentPolicyVersions.stage, "canary")))
    .returning();
  return row ?? null;
}

export async function getPolicyVersion({ orgId, version }: { orgId: string; version: number }, executor: Executor = getDb()): Promise<AgentPolicyVersion | null> {
  const [row] = await executor
    .select()
    .from(agentPolicyVersions)
    .where(and(eq(agentPolicyVersions.orgId, orgId), eq(agentPolicyVersions.version, version)));
  return row ?? null;
}

/** Newest first. */
export function listPolicyVersions({ orgId, limit }: { orgId: string; limit: number }): Promise<AgentPolicyVersion[]> {
  return getDb()
    .select()
    .from(agentPolicyVersions)
    .where(eq(agentPolicyVersions.orgId, orgId))
    .orderBy(desc(agentPolicyVersions.version))
    .limit(limit);
}

/**
 * Records when the fleet first converged on a version (once). Never before the version existed: reports are
 * stamped by the instance that received them, whose clock may run a little ahead of the database's.
 */
export async function markVersionConverged({ orgId, version, at }: { orgId: string; version: number; at: Date }): Promise<void> {
  await getDb()
    .update(agentPolicyVersions)
    .set({ convergedAt: sql`greatest(${at.toISOString()}::timestamptz, ${agentPolicyVersions.createdAt})` })
    .where(and(eq(agentPolicyVersions.orgId, orgId), eq(agentPolicyVersions.version, version), isNull(agentPolicyVersions.convergedAt)));
}
