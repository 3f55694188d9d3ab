import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { organizations, policies, type Policy } from "@/db/schema";
import { type PolicyType } from "@/lib/policies/constants";
import { ApiError } from "@/lib/errors";
import { DEFAULT_POLICIES, isCriticalPolicy } from "@/lib/policies/defaults";
import { toPolicyJson } from "@/lib/policies/serialize";
import { appendAgentEvent } from "./agent-events";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";

const policyResource = (id: string) => `policy:${id}`;

/** Agents enforce network and session policies, so changes to those reach their streams. */
export const AGENT_ENFORCED_TYPES: readonly PolicyType[] = ["network", "session"];

export type SecurityPolicyChange = "toggled" | "created" | "updated" | "deleted";

/** A policy as agents see it, in the `security_policy` event and in their snapshot. */
export type AgentSecurityPolicy = Pick<Policy, "id" | "name" | "type" | "enabled" | "rules">;

function toAgentSecurityPolicy(policy: Policy): AgentSecurityPolicy {
  return { id: policy.id, name: policy.name, type: policy.type, enabled: policy.enabled, rules: policy.rules };
}

/** Queues the `security_policy` agent event in the change's transaction, when agents enforce the policy. */
async function notifyAgents(tx: Executor, actor: Actor, change: SecurityPolicyChange, before: Policy | null, after: Policy | null) {
  const enforced = [before, after].some((policy) => policy && AGENT_ENFORCED_TYPES.includes(policy.type));
  const policy = after ?? before;
  if (!enforced || !policy) return;
  await appendAgentEvent(tx, {
    orgId: actor.orgId,
    type: "security_policy",
    payload: { change, policy: { ...toAgentSecurityPolicy(policy), enforced: after !== null && AGENT_ENFORCED_TYPES.includes(after.type) } },
  });
}

/** Organizations known to be seeded, so the common path skips the check. */
const seededOrganizations = new Set<string>();

/**
 * Creates the three default policies the first time an organization's policies are used, exactly once:
 * the conditional update locks the organization row, so concurrent first requests wait for the first one
 * and then find the flag set. Deleted defaults stay deleted.
 */
export async function ensureDefaultPolicies(actor: Actor): Promise<void> {
  if (seededOrganizations.has(actor.orgId)) return;
  await getDb().transaction(async (tx) => {
    const claimed = await tx
      .update(organizations)
      .set({ defaultPoliciesSeededAt: sql`now()` })
      .where(and(eq(organizations.id, actor.orgId), isNull(organizations.defaultPoliciesSeededAt)))
      .returning({ id: organizations.id });
    if (claimed.length === 0) return;
    const rows = await tx
      .insert(policies)
      .values(DEFAULT_POLICIES.map((policy) => ({ ...policy, orgId: actor.orgId })))
      .onConflictDoNothing()
      .returning();
    await recordAudit(actor, {
      action: "seed_default_policies",
      resource: "policies",
      details: `Created the ${rows.length} default policies`,
      success: true,
      after: rows.map(toPolicyJson),
    }, tx);
  });
  seededOrganizations.add(actor.orgId);
}

export interface PolicyFilter {
  type?: PolicyType;
  enabled?: boolean;
}

export function listPolicies({ orgId, type, enabled }: { orgId: string } & PolicyFilter): Promise<Policy[]> {
  return getDb()
    .select()
    .from(policies)
    .where(
      and(
        eq(policies.orgId, orgId),
        type === undefined ? undefined : eq(policies.type, type),
        enabled === undefined ? undefined : eq(policies.enabled, enabled),
      ),
    )
    .orderBy(asc(policies.createdAt), asc(policies.id));
}

/** One policy of the organization. With `lock`, the row stays locked until the transaction ends. */
export async function getPolicy(
  { orgId, id }: { orgId: string; id: string },
  executor: Executor = getDb(),
  { lock = false } = {},
): Promise<Policy | null> {
  const query = executor
    .select()
    .from(policies)
    .where(and(eq(policies.orgId, orgId), eq(policies.id, id)));
  const [policy] = lock ? await query.for("update") : await query;
  return policy ?? null;
}

async function notFound(actor: Actor, id: string, action: "toggle_policy" | "update_policy" | "delete_policy"): Promise<never> {
  await recordFailure(actor, { action, resource: policyResource(id), details: "Policy not found" });
  throw ApiError.notFound("Policy not found");
}

/**
 * Flips `enabled`, or sets it when `enabled` is given, under a row lock, and audits it in the same transaction.
 * Audit details are exactly "Policy enabled" or "Policy disabled", as the Security Policies API document shows.
 */
export async function togglePolicy({ actor, id, enabled }: { actor: Actor; id: string; enabled?: boolean }): Promise<Policy> {
  const toggled = await getDb().transaction(async (tx) => {
    const before = await getPolicy({ orgId: actor.orgId, id }, tx, { lock: true });
    if (!before) return null;
    const [after] = await tx
      .update(policies)
      .set({ enabled: enabled ?? !before.enabled, updatedAt: sql`now()` })
      .where(and(eq(policies.orgId, actor.orgId), eq(policies.id, id)))
      .returning();
    if (!after) throw new Error("locked policy row vanished");
    const changed = before.enabled !== after.enabled;
    await recordAudit(actor, {
      action: "toggle_policy",
      resource: policyResource(id),
      details: after.enabled ? "Policy enabled" : "Policy disabled",
      success: true,
      before: changed ? toPolicyJson(before) : undefined,
      after: changed ? toPolicyJson(after) : undefined,
    }, tx);
    if (changed) await notifyAgents(tx, actor, "toggled", before, after);
    return after;
  });
  return toggled ?? notFound(actor, id, "toggle_policy");
}

export interface PolicyInput {
  id: string;
  name: string;
  description: string;
  type: PolicyType;
  rules: string[];
  enabled: boolean;
}

/** Creates a custom policy with its audit row; a taken id is refused with 409, and the refusal audited. */
export async function createPolicy({ actor, input }: { actor: Actor; input: PolicyInput }): Promise<Policy> {
  const created = await getDb().transaction(async (tx) => {
    const [created] = await tx
      .insert(policies)
      .values({ ...input, orgId: actor.orgId })
      .onConflictDoNothing()
      .returning();
    if (!created) return null;
    await recordAudit(actor, {
      action: "create_policy",
      resource: policyResource(created.id),
      details: `Created policy "${created.name}"`,
      success: true,
      after: toPolicyJson(created),
    }, tx);
    await notifyAgents(tx, actor, "created", null, created);
    return created;
  });
  if (created) return created;
  const message = `A policy with id "${input.id}" already exists`;
  await recordFailure(actor, { action: "create_policy", resource: policyResource(input.id), details: `Refused: ${message}` });
  throw ApiError.conflict(message);
}

export type PolicyUpdate = Partial<Omit<PolicyInput, "id">>;

/** Applies the given fields under a row lock, and audits the before/after snapshot. */
export async function updatePolicy({ actor, id, update }: { actor: Actor; id: string; update: PolicyUpdate }): Promise<Policy> {
  const updated = await getDb().transaction(async (tx) => {
    const before = await getPolicy({ orgId: actor.orgId, id }, tx, { lock: true });
    if (!before) return null;
    const [after] = await tx
      .update(policies)
      .set({ ...update, updatedAt: sql`now()` })
      .where(and(eq(policies.orgId, actor.orgId), eq(policies.id, id)))
      .returning();
    if (!after) throw new Error("locked policy row vanished");
    await recordAudit(actor, {
      action: "update_policy",
      resource: policyResource(id),
      details: `Updated policy "${after.name}"`,
      success: true,
      before: toPolicyJson(before),
      after: toPolicyJson(after),
    }, tx);
    await notifyAgents(tx, actor, "updated", before, after);
    return after;
  });
  return updated ?? notFound(actor, id, "update_policy");
}

/** Deletes a policy. The critical defaults need `confirmed`; without it the request is refused, and the refusal audited. */
export async function deletePolicy({ actor, id, confirmed }: { actor: Actor; id: string; confirmed: boolean }): Promise<Policy> {
  const outcome = await getDb().transaction(async (tx) => {
    if (isCriticalPolicy(id) && !confirmed) {
      const existing = await getPolicy({ orgId: actor.orgId, id }, tx);
      return { status: existing ? ("unconfirmed" as const) : ("missing" as const) };
    }
    const [deleted] = await tx
      .delete(policies)
      .where(and(eq(policies.orgId, actor.orgId), eq(policies.id, id)))
      .returning();
    if (!deleted) return { status: "missing" as const };
    await recordAudit(actor, {
      action: "delete_policy",
      resource: policyResource(id),
      details: `Deleted policy "${deleted.name}"`,
      success: true,
      before: toPolicyJson(deleted),
    }, tx);
    await notifyAgents(tx, actor, "deleted", deleted, null);
    return { status: "deleted" as const, policy: deleted };
  });
  if (outcome.status === "deleted") return outcome.policy;
  if (outcome.status === "missing") return notFound(actor, id, "delete_policy");
  const message = `"${id}" is a critical default policy; repeat the request with ?confirm=true to delete it`;
  await recordFailure(actor, { action: "delete_policy", resource: policyResource(id), details: message });
  throw ApiError.conflict(message);
}
