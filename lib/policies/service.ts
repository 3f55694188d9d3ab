import "server-only";
import { appendAgentEvent } from "@/lib/events/agent-events";
import { deletePolicyRow, findEnabledPolicyOfKind, getPolicy, insertPolicies, setPolicyEnabled, updatePolicyRow, type PolicyChanges } from "@/db/queries/policies";
import { appendPolicyRevisions, getPolicyRevision, latestPolicyRevision } from "@/db/queries/policy-revisions";
import { getDb, violatedConstraint, type Executor } from "@/db";
import { ENABLED_KIND_INDEX, type ChangeRequest, type Policy } from "@/db/schema";
import { ApprovalRequired, fileChangeRequest, fourEyesHolds } from "@/lib/change-requests/gate";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";
import { ApiError } from "@/lib/errors";
import { AGENT_ENFORCED_TYPES, type PolicyRevisionChange, type PolicyType } from "./constants";
import { DEFAULT_POLICIES, isCriticalPolicy } from "./defaults";
import { isAddressAllowed, parseSettings, POLICY_KIND_SPECS, type IpAllowlistSettings, type PolicyKind } from "./kinds";
import { rulesAreGenerated } from "./schemas";
import { toAgentSecurityPolicy, toPolicyJson } from "./serialize";

/**
 * Security policy changes. Each runs in one transaction with its revision, its audit row (before/after snapshots)
 * and, for the types agents enforce, its agent event; a refusal changes nothing and is audited on its own.
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

const revisionOf = (actor: Actor, change: PolicyRevisionChange, policy: Policy, restoredFrom?: number) => ({
  orgId: actor.orgId,
  policyId: policy.id,
  change,
  policy: toPolicyJson(policy),
  restoredFrom,
  userId: actor.userId,
  userEmail: actor.email,
});

/** Records the state a change left the policy in (a deletion: the state it deleted) as its next revision. */
async function recordRevision(actor: Actor, change: PolicyRevisionChange, policy: Policy, tx: Executor, restoredFrom?: number): Promise<void> {
  await appendPolicyRevisions([revisionOf(actor, change, policy, restoredFrom)], tx);
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
  await appendPolicyRevisions(
    rows.map((policy) => revisionOf(actor, "created", policy)),
    tx,
  );
  await recordAudit(
    actor,
    { action: "seed_default_policies", resource: "policies", details: `Created the ${rows.length} default policies`, success: true, after: rows.map(toPolicyJson) },
    tx,
  );
}

/**
 * Sets `enabled` (or flips it) in the caller's transaction, with its revision, audit row and agent event; null when
 * the organization has no such policy. Audit details are exactly "Policy enabled" or "Policy disabled", as the
 * Security Policies API document shows. Four-eyes is the caller's business (an approved request applies this).
 */
export async function applyToggle(actor: Actor, id: string, enabled: boolean | undefined, tx: Executor): Promise<Policy | null> {
  const toggled = await setPolicyEnabled({ orgId: actor.orgId, id, enabled }, tx);
  if (!toggled) return null;
  const { before, after } = toggled;
  refuseSelfLockout(actor, after);
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
  if (changed) {
    await recordRevision(actor, "toggled", after, tx);
    await notifyAgents(actor, "toggled", before, after, tx);
  }
  return after;
}

/** Files a request to disable or delete a policy, against its current revision, in the caller's transaction. */
export async function filePolicyChangeRequest(actor: Actor, action: "disable_policy" | "delete_policy", policy: Policy, tx: Executor, reason?: string): Promise<ChangeRequest> {
  const before = toPolicyJson(policy);
  return fileChangeRequest(
    actor,
    {
      action,
      target: policy.id,
      payload: {},
      base: await latestPolicyRevision({ orgId: actor.orgId, policyId: policy.id }, tx),
      preview: { before, after: action === "delete_policy" ? null : { ...before, enabled: false } },
      reason,
    },
    tx,
  );
}

/**
 * A change other than a toggle (an edit that sends `enabled: false`, a restore of a disabled revision) that would
 * disable a critical policy while four-eyes holds it is refused: the toggle is the one way to disable, and it files
 * the change request. Otherwise an edit would be a way around the second admin.
 */
async function refuseUnheldDisable(actor: Actor, before: Policy | null, after: Policy, tx: Executor): Promise<void> {
  if (!before?.enabled || after.enabled || !isCriticalPolicy(after.id) || !(await fourEyesHolds(actor, tx))) return;
  throw new RefusedChange(`Four-eyes approval is on: disabling the critical policy ${after.id} needs a second admin. Disable it with PATCH /api/policies/${after.id} (or its switch), which files a change request, and send this change without disabling it`);
}

/** What four-eyes holds of a change to a policy: disabling or deleting one of the critical defaults. Null when it may go ahead. */
async function holdCriticalChange(actor: Actor, action: "disable_policy" | "delete_policy", policy: Policy | null, tx: Executor): Promise<ChangeRequest | null> {
  if (!policy || !isCriticalPolicy(policy.id) || (action === "disable_policy" && !policy.enabled)) return null;
  return (await fourEyesHolds(actor, tx)) ? filePolicyChangeRequest(actor, action, policy, tx) : null;
}

/**
 * Flips `enabled`, or sets it when `enabled` is given, under a row lock. While four-eyes is on, disabling a
 * critical policy files a change request instead (ApprovalRequired).
 */
export async function togglePolicy({ actor, id, enabled }: { actor: Actor; id: string; enabled?: boolean }): Promise<Policy> {
  const outcome = await guardedChange(actor, "toggle_policy", id, async (tx) => {
    const current = await getPolicy({ orgId: actor.orgId, id, lock: true }, tx);
    const held = enabled === true ? null : await holdCriticalChange(actor, "disable_policy", current, tx);
    return held ? { held } : { policy: current && (await applyToggle(actor, id, enabled, tx)) };
  });
  if (outcome.held) throw new ApprovalRequired(outcome.held);
  return outcome.policy ?? notFound(actor, id, "toggle_policy");
}

/** A change refused for what it would do, found after it was written: its transaction is rolled back. */
class RefusedChange extends Error {}

/**
 * An enabled IP allowlist that would refuse the address of the admin who makes the change, on the channel they
 * make it through, locks them out: it is refused. The CLI (no channel) is the way back in and is never refused.
 */
function refuseSelfLockout(actor: Actor, after: Policy): void {
  if (!after.enabled || after.kind !== "ip_allowlist" || !actor.channel) return;
  if (isAddressAllowed(after.settings as IpAllowlistSettings, actor.ip ?? null, actor.channel)) return;
  const where = actor.channel === "api" ? "the API" : "the console";
  const address = actor.ip ? `your address (${actor.ip})` : "your address, which Palisade cannot determine (see TRUSTED_PROXIES)";
  throw new RefusedChange(`This IP allowlist would lock you out: it does not admit ${address} on ${where}. Add your address or range, or limit the allowlist to the other channel`);
}

async function kindConflictMessage(actor: Actor, kind: PolicyKind | null): Promise<string> {
  const label = kind ? POLICY_KIND_SPECS[kind].label.toLowerCase() : "policy of this kind";
  const enabled = kind ? await findEnabledPolicyOfKind({ orgId: actor.orgId, kind }) : null;
  const which = enabled ? ` ("${enabled.name}", ${enabled.id})` : "";
  return `Another ${label}${which} is already enabled, and only one of each kind can be. Disable it first, or keep this one disabled`;
}

/**
 * Runs a change in one transaction. A second enabled policy of a kind (refused by a unique index, so concurrent
 * changes cannot both pass) and a self-lockout are refused with 409, the refusal audited, and nothing written.
 */
async function guardedChange<T>(actor: Actor, action: "create_policy" | "update_policy" | "toggle_policy" | "restore_policy", id: string, change: (tx: Executor) => Promise<T>, kind?: PolicyKind | null): Promise<T> {
  let message: string;
  try {
    return await getDb().transaction((tx) => change(tx));
  } catch (error) {
    if (error instanceof RefusedChange) message = error.message;
    else if (violatedConstraint(error) === ENABLED_KIND_INDEX) message = await kindConflictMessage(actor, kind ?? (await getPolicy({ orgId: actor.orgId, id }))?.kind ?? null);
    else throw error;
  }
  await recordFailure(actor, { action, resource: policyResource(id), details: `Refused: ${message}` });
  throw ApiError.conflict(message);
}

export interface PolicyInput {
  id: string;
  name: string;
  description: string;
  type: PolicyType;
  rules: string[];
  enabled: boolean;
  kind: PolicyKind | null;
  settings: Record<string, unknown> | null;
}

/** Creates a custom policy; a taken id, a second enabled policy of a kind or a self-lockout is refused with 409, and audited. */
export async function createPolicy({ actor, input }: { actor: Actor; input: PolicyInput }): Promise<Policy> {
  const created = await guardedChange(
    actor,
    "create_policy",
    input.id,
    async (tx) => {
      const [policy] = await insertPolicies([{ ...input, orgId: actor.orgId }], tx);
      if (!policy) return null;
      refuseSelfLockout(actor, policy);
      await recordAudit(actor, { action: "create_policy", resource: policyResource(policy.id), details: `Created policy "${policy.name}"`, success: true, after: toPolicyJson(policy) }, tx);
      await recordRevision(actor, "created", policy, tx);
      await notifyAgents(actor, "created", null, policy, tx);
      return policy;
    },
    input.kind,
  );
  if (created) return created;
  const message = `A policy with id "${input.id}" already exists`;
  await recordFailure(actor, { action: "create_policy", resource: policyResource(input.id), details: `Refused: ${message}` });
  throw ApiError.conflict(message);
}

export type PolicyUpdate = Partial<Omit<PolicyInput, "id">>;

/**
 * The columns an update writes. A policy of a kind keeps its kind and type; settings given are merged into its
 * own, and its rules are generated from the result. A policy without a kind takes no settings.
 */
function resolveUpdate(before: Policy, update: PolicyUpdate): PolicyChanges {
  const { kind, settings, ...documented } = update;
  const problems: FieldIssue[] = [];
  if (!before.kind) {
    if (kind !== undefined && kind !== null) problems.push({ path: ["kind"], message: "cannot be given to an existing policy: create a policy from a template instead", input: kind });
    if (settings !== undefined && settings !== null) problems.push({ path: ["settings"], message: "apply only to a policy with a kind", input: settings });
    if (problems.length) throw ApiError.validation(problems.map(customIssue), "body");
    return documented;
  }
  const spec = POLICY_KIND_SPECS[before.kind];
  const merged = parseSettings(before.kind, { ...before.settings, ...settings });
  if (kind !== undefined && kind !== before.kind) problems.push({ path: ["kind"], message: `cannot change: this is a ${before.kind} policy`, input: kind });
  if (documented.type !== undefined && documented.type !== spec.type) problems.push({ path: ["type"], message: `must be "${spec.type}" for a ${before.kind} policy`, input: documented.type });
  if (!merged.success) for (const issue of merged.error.issues) problems.push({ path: ["settings", ...issue.path.map((part) => (typeof part === "symbol" ? String(part) : part))], message: issue.message, input: undefined });
  const rules = merged.success ? spec.rules(merged.data as never) : [];
  if (merged.success && documented.rules !== undefined && documented.rules.join("\n") !== rules.join("\n")) problems.push({ path: ["rules"], message: rulesAreGenerated(before.kind), input: documented.rules });
  if (problems.length) throw ApiError.validation(problems.map(customIssue), "body");
  return { ...documented, type: spec.type, rules, settings: merged.data as Record<string, unknown> };
}

interface FieldIssue {
  path: (string | number)[];
  message: string;
  input: unknown;
}

const customIssue = ({ path, message, input }: FieldIssue) => ({ code: "custom" as const, path, message, input });

/** Applies the given fields under a row lock, and audits the before/after snapshot. */
export async function updatePolicy({ actor, id, update }: { actor: Actor; id: string; update: PolicyUpdate }): Promise<Policy> {
  const updated = await guardedChange(actor, "update_policy", id, async (tx) => {
    const before = await getPolicy({ orgId: actor.orgId, id, lock: true }, tx);
    if (!before) return null;
    const after = await updatePolicyRow({ orgId: actor.orgId, id, changes: resolveUpdate(before, update) }, tx);
    if (!after) throw new Error("locked policy row vanished");
    refuseSelfLockout(actor, after);
    await refuseUnheldDisable(actor, before, after, tx);
    await recordAudit(
      actor,
      { action: "update_policy", resource: policyResource(id), details: `Updated policy "${after.name}"`, success: true, before: toPolicyJson(before), after: toPolicyJson(after) },
      tx,
    );
    await recordRevision(actor, "updated", after, tx);
    await notifyAgents(actor, "updated", before, after, tx);
    return after;
  });
  return updated ?? notFound(actor, id, "update_policy");
}

/** Deletes a policy in the caller's transaction, with its revision, audit row and agent event; null when there is none. */
export async function applyDelete(actor: Actor, id: string, tx: Executor): Promise<Policy | null> {
  const deleted = await deletePolicyRow({ orgId: actor.orgId, id }, tx);
  if (!deleted) return null;
  await recordAudit(actor, { action: "delete_policy", resource: policyResource(id), details: `Deleted policy "${deleted.name}"`, success: true, before: toPolicyJson(deleted) }, tx);
  await recordRevision(actor, "deleted", deleted, tx);
  await notifyAgents(actor, "deleted", deleted, null, tx);
  return deleted;
}

/**
 * Deletes a policy. The critical defaults need `confirmed`; without it the request is refused, and the refusal
 * audited. While four-eyes is on, deleting a critical policy files a change request instead (ApprovalRequired).
 */
export async function deletePolicy({ actor, id, confirmed }: { actor: Actor; id: string; confirmed: boolean }): Promise<Policy> {
  const outcome = await getDb().transaction(async (tx) => {
    if (isCriticalPolicy(id) && !confirmed) {
      const existing = await getPolicy({ orgId: actor.orgId, id }, tx);
      return { status: existing ? ("unconfirmed" as const) : ("missing" as const) };
    }
    const held = await holdCriticalChange(actor, "delete_policy", await getPolicy({ orgId: actor.orgId, id, lock: true }, tx), tx);
    if (held) return { status: "held" as const, held };
    const deleted = await applyDelete(actor, id, tx);
    return deleted ? { status: "deleted" as const, policy: deleted } : { status: "missing" as const };
  });
  if (outcome.status === "deleted") return outcome.policy;
  if (outcome.status === "held") throw new ApprovalRequired(outcome.held);
  if (outcome.status === "missing") return notFound(actor, id, "delete_policy");
  const message = `"${id}" is a critical default policy; repeat the request with ?confirm=true to delete it`;
  await recordFailure(actor, { action: "delete_policy", resource: policyResource(id), details: message });
  throw ApiError.conflict(message);
}

/**
 * Brings a policy back to one of its revisions, as a new revision: an existing policy takes the revision's name,
 * description, type, rules, state, kind and settings; a deleted one is created again with them. The same guards as
 * any change apply (one enabled policy per kind, no self-lockout). Audited as `restore_policy`.
 */
export async function restorePolicy({ actor, id, revision }: { actor: Actor; id: string; revision: number }): Promise<Policy> {
  const restored = await guardedChange(actor, "restore_policy", id, async (tx) => {
    const target = await getPolicyRevision({ orgId: actor.orgId, policyId: id, revision }, tx);
    if (!target) return null;
    const { name, description, type, rules, enabled, kind = null, settings = null } = target.policy;
    const state = { name, description, type, rules, enabled, kind, settings };
    const before = await getPolicy({ orgId: actor.orgId, id, lock: true }, tx);
    const after = before ? await updatePolicyRow({ orgId: actor.orgId, id, changes: state }, tx) : (await insertPolicies([{ ...state, id, orgId: actor.orgId }], tx))[0];
    if (!after) throw new Error("restored policy row missing");
    refuseSelfLockout(actor, after);
    await refuseUnheldDisable(actor, before, after, tx);
    await recordAudit(
      actor,
      {
        action: "restore_policy",
        resource: policyResource(id),
        details: `Restored revision ${revision} of policy "${after.name}"${before ? "" : " (it had been deleted)"}`,
        success: true,
        before: before ? toPolicyJson(before) : undefined,
        after: toPolicyJson(after),
      },
      tx,
    );
    await recordRevision(actor, "restored", after, tx, revision);
    await notifyAgents(actor, before ? "updated" : "created", before, after, tx);
    return after;
  }, (await getPolicyRevision({ orgId: actor.orgId, policyId: id, revision }))?.policy.kind ?? null);
  if (restored) return restored;
  await recordFailure(actor, { action: "restore_policy", resource: policyResource(id), details: `Refused: policy ${id} has no revision ${revision}` });
  throw ApiError.notFound("Revision not found");
}
