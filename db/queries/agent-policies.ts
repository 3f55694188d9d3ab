import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { agentPolicyVersions, orgCounters, type AgentPolicyVersion } from "@/db/schema";
import { type AgentRule } from "@/lib/agent-policy/types";
import { formatVersion } from "@/lib/agent-policy/rules";
import { newAgentPolicyId } from "@/lib/ids";
import { appendAgentEvent } from "./agent-events";
import { recordAudit, type Actor } from "@/lib/audit/log";

/** What a `policy_version` event carries: everything an agent needs, so replay never joins. */
export interface PolicyVersionEventPayload {
  version: number;
  policyId: string;
  name: string;
  rules: AgentRule[];
}

export interface NewPolicyVersion {
  name: string;
  description: string | null;
  rules: AgentRule[];
  /** Set when this version republishes an older one (a rollback). */
  republishedFrom?: number;
}

/**
 * Publishes the next version: the organization's counter row is incremented under its row lock, so 50
 * parallel publishes get v1..v50 with no gap or duplicate (a rolled-back publish rolls its number back too).
 * The version becomes active at once; its event and audit row commit with it.
 */
export async function createPolicyVersion({ actor, input }: { actor: Actor; input: NewPolicyVersion }): Promise<AgentPolicyVersion> {
  return getDb().transaction(async (tx) => {
    const [counter] = await tx
      .update(orgCounters)
      .set({ agentPolicyVersion: sql`${orgCounters.agentPolicyVersion} + 1` })
      .where(eq(orgCounters.orgId, actor.orgId))
      .returning({ version: orgCounters.agentPolicyVersion });
    if (!counter) throw new Error(`organization ${actor.orgId} has no counters row`);
    const [created] = await tx
      .insert(agentPolicyVersions)
      .values({
        id: newAgentPolicyId(),
        orgId: actor.orgId,
        version: counter.version,
        name: input.name,
        description: input.description,
        rules: input.rules,
        createdBy: actor.email,
        republishedFrom: input.republishedFrom ?? null,
      })
      .returning();
    if (!created) throw new Error("policy version insert returned no row");
    const payload: PolicyVersionEventPayload = { version: created.version, policyId: created.id, name: created.name, rules: created.rules };
    await appendAgentEvent(tx, { orgId: actor.orgId, type: "policy_version", payload });
    await recordAudit(actor, {
      action: "create_policy_version",
      resource: `agent-policy:${formatVersion(created.version)}`,
      details: input.republishedFrom
        ? `Republished ${formatVersion(input.republishedFrom)} as ${formatVersion(created.version)} "${created.name}"`
        : `Published ${formatVersion(created.version)} "${created.name}" with ${created.rules.length} rules`,
      success: true,
      after: { id: created.id, version: formatVersion(created.version), name: created.name, description: created.description, rules: created.rules },
    }, tx);
    return created;
  });
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
