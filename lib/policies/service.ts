import "server-only";
import { appendAgentEvent } from "@/lib/events/agent-events";
import { deletePolicyRow, getPolicy, insertPolicies, setPolicyEnabled, updatePolicyRow } from "@/db/queries/policies";
import { getDb, type Executor } from "@/db";
import type { Policy } from "@/db/schema";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";
import { ApiError } from "@/lib/errors";
import { AGENT_ENFORCED_TYPES, type PolicyType } from "./constants";
import { DEFAULT_POLICIES, isCriticalPolicy } from "./defaults";
import { toAgentSecurityPolicy, toPolicyJson } from "./serialize";

/**
 * Security policy changes. Each runs in one transaction with its audit row (before/after snapshots) and, for the
 * types agents enforce, its agent event; a refusal changes nothing and is audited on its own.
 */

const policyResource = (id: string) => `policy:${id}`;

type SecurityPolicyChange = "toggled" | "created" | "updated" | "deleted";

/** Queues the `security_policy` agent event in the change's transaction, when agents enforce the policy. */
async function notifyAgents(actor: Actor, change: SecurityPolicyChange, before: Policy | null, after: Policy | null, tx: Executor): Promise<void> {
  const enforced = [before, after].some((policy) => policy && AGENT_ENFORCED_TYPES.includes(policy.type));
  const policy = after ?? before;
  if (!enforced || !policy) return;
  await appendAgentEvent(
    {
      orgId: actor.orgId,
      type: "security_policy",
      payload: { change, policy: { ...toAgentSecurityPolicy(policy), enforced: after !== null && AGENT_ENFORCED_TYPES.includes(after.type) } },
    },
    tx,
  );
}

async function notFound(actor: Actor, id: string, action: "toggle_policy" | "update_policy" | "delete_policy"): Promise<never> {
  await recordFailure(actor, { action, resource: policyResource(id), details: "Policy not found" });
  throw ApiError.notFound("Policy not found");
}

/**
 * Creates the three default policies of a new organization, with their audit row, inside the transaction that
 * creates it: every organization has them from its first moment, once. One an admin deletes stays deleted.
 */
export async function seedDefaultPolicies(actor: Actor, tx: Executor): Promise<void> {
  const rows = await insertPolicies(
    DEFAULT_POLICIES.map((policy) => ({ ...policy, orgId: actor.orgId })),
    tx,
  );
  await recordAudit(
    actor,
    { action: "seed_default_policies", resource: "policies", details: `Created the ${rows.length} default policies`, success: true, after: rows.map(toPolicyJson) },
    tx,
  );
}

/**
 * Flips `enabled`, or sets it when `enabled` is given, under a row lock. Audit details are exactly
 * "Policy enabled" or "Policy disabled", as the Security Policies API document shows.
 */
export async function togglePolicy({ actor, id, enabled }: { actor: Actor; id: string; enabled?: boolean }): Promise<Policy> {
  const toggled = await getDb().transaction(async (tx) => {
    const toggled = await setPolicyEnabled({ orgId: actor.orgId, id, enabled }, tx);
    if (!toggled) return null;
    const { before, after } = toggled;
    const changed = before.enabled !== after.enabled;
    await recordAudit(
      actor,
      {
        action: "toggle_policy",
        resource: policyResource(id),
        details: after.enabled ? "Policy enabled" : "Policy disabled",
        success: true,
        before: changed ? toPolicyJson(before) : undefined,
        after: changed ? toPolicyJson(after) : undefined,
      },
      tx,
    );
    if (changed) await notifyAgents(actor, "toggled", before, after, tx);
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

/** Creates a custom policy; a taken id is refused with 409, and the refusal audited. */
export async function createPolicy({ actor, input }: { actor: Actor; input: PolicyInput }): Promise<Policy> {
  const created = await getDb().transaction(async (tx) => {
    const [policy] = await insertPolicies([{ ...input, orgId: actor.orgId }], tx);
    if (!policy) return null;
    await recordAudit(actor, { action: "create_policy", resource: policyResource(policy.id), details: `Created policy "${policy.name}"`, success: true, after: toPolicyJson(policy) }, tx);
    await notifyAgents(actor, "created", null, policy, tx);
    return policy;
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
    const before = await getPolicy({ orgId: actor.orgId, id, lock: true }, tx);
    if (!before) return null;
    const after = await updatePolicyRow({ orgId: actor.orgId, id, changes: update }, tx);
    if (!after) throw new Error("locked policy row vanished");
    await recordAudit(
      actor,
      { action: "update_policy", resource: policyResource(id), details: `Updated policy "${after.name}"`, success: true, before: toPolicyJson(before), after: toPolicyJson(after) },
      tx,
    );
    await notifyAgents(actor, "updated", before, after, tx);
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
    const deleted = await deletePolicyRow({ orgId: actor.orgId, id }, tx);
    if (!deleted) return { status: "missing" as const };
    await recordAudit(actor, { action: "delete_policy", resource: policyResource(id), details: `Deleted policy "${deleted.name}"`, success: true, before: toPolicyJson(deleted) }, tx);
    await notifyAgents(actor, "deleted", deleted, null, tx);
    return { status: "deleted" as const, policy: deleted };
  });
  if (outcome.status === "deleted") return outcome.policy;
  if (outcome.status === "missing") return notFound(actor, id, "delete_policy");
  const message = `"${id}" is a critical default policy; repeat the request with ?confirm=true to delete it`;
  await recordFailure(actor, { action: "delete_policy", resource: policyResource(id), details: message });
  throw ApiError.conflict(message);
}
