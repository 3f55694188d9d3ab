import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { agentPolicyVersions, orgCounters, type AgentPolicyVersion } from "@/db/schema";

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

/** The active version: the organization's highest. Null before the first publish. */
export async function getActivePolicyVersion({ orgId }: { orgId: string }, executor: Executor = getDb()): Promise<AgentPolicyVersion | null> {
  const [row] = await executor
    .select()
    .from(agentPolicyVersions)
    .where(eq(agentPolicyVersions.orgId, orgId))
    .orderBy(desc(agentPolicyVersions.version))
    .limit(1);
  return row ?? null;
}

export async function getPolicyVersion({ orgId, version }: { orgId: string; version: number }): Promise<AgentPolicyVersion | null> {
  const [row] = await getDb()
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
