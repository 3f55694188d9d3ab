import "server-only";
import { appendAgentEvent } from "@/lib/events/agent-events";
import { getActivePolicyVersion, insertPolicyVersion, nextPolicyVersion } from "@/db/queries/agent-policies";
import { getDb, type Executor } from "@/db";
import { ApprovalRequired, fileChangeRequest, fourEyesHolds } from "@/lib/change-requests/gate";
import type { AgentPolicyVersion } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/log";
import { newAgentPolicyId } from "@/lib/ids";
import { formatVersion } from "./rules";
import type { AgentRule, PolicyVersionEventPayload } from "./types";

export interface NewPolicyVersion {
  name: string;
  description: string | null;
  rules: AgentRule[];
  /** Set when this version republishes an older one (a rollback). */
  republishedFrom?: number;
}

/**
 * Publishes the organization's next version in the caller's transaction (v1, v2, … with no gap or duplicate,
 * however many publish at once). It is active at once; its agent event and its audit row commit with it.
 */
export async function applyPublish(actor: Actor, input: NewPolicyVersion, tx: Executor): Promise<AgentPolicyVersion> {
  const version = await nextPolicyVersion({ orgId: actor.orgId }, tx);
  const created = await insertPolicyVersion(
    {
      id: newAgentPolicyId(),
      orgId: actor.orgId,
      version,
      name: input.name,
      description: input.description,
      rules: input.rules,
      createdBy: actor.email,
      republishedFrom: input.republishedFrom ?? null,
    },
    tx,
  );
  const payload: PolicyVersionEventPayload = { version: created.version, policyId: created.id, name: created.name, rules: created.rules };
  await appendAgentEvent({ orgId: actor.orgId, type: "policy_version", payload }, tx);
  await recordAudit(
    actor,
    {
      action: "create_policy_version",
      resource: `agent-policy:${formatVersion(created.version)}`,
      details: input.republishedFrom
        ? `Republished ${formatVersion(input.republishedFrom)} as ${formatVersion(created.version)} "${created.name}"`
        : `Published ${formatVersion(created.version)} "${created.name}" with ${created.rules.length} rules`,
      success: true,
      after: { id: created.id, version: formatVersion(created.version), name: created.name, description: created.description, rules: created.rules },
    },
    tx,
  );
  return created;
}

/** A version as a change request previews it. */
const previewOf = (version: Pick<AgentPolicyVersion, "name" | "description" | "rules"> | null) => version && { name: version.name, description: version.description, rules: version.rules };

/**
 * Publishes the organization's next version. While four-eyes is on, a change request is filed instead, against the
 * active version (ApprovalRequired).
 */
export async function publishPolicyVersion({ actor, input }: { actor: Actor; input: NewPolicyVersion }): Promise<AgentPolicyVersion> {
  const outcome = await getDb().transaction(async (tx) => {
    if (!(await fourEyesHolds(actor, tx))) return { published: await applyPublish(actor, input, tx) };
    const active = await getActivePolicyVersion({ orgId: actor.orgId }, tx);
    const held = await fileChangeRequest(
      actor,
      { action: "publish_agent_policy", target: "agent-policy", payload: { ...input }, base: active?.version ?? 0, preview: { before: previewOf(active), after: previewOf(input) } },
      tx,
    );
    return { held };
  });
  if (outcome.held) throw new ApprovalRequired(outcome.held);
  return outcome.published!;
}

/** Rollback: publishes an old version's rules, name and description again as the newest version. */
export function republishPolicyVersion({ actor, source }: { actor: Actor; source: AgentPolicyVersion }): Promise<AgentPolicyVersion> {
  return publishPolicyVersion({ actor, input: { name: source.name, description: source.description, rules: source.rules, republishedFrom: source.version } });
}
