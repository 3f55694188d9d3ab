import "server-only";
import { appendAgentEvent } from "@/lib/events/agent-events";
import { insertPolicyVersion, nextPolicyVersion } from "@/db/queries/agent-policies";
import { getDb } from "@/db";
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
 * Publishes the organization's next version (v1, v2, … with no gap or duplicate, however many publish at once).
 * It is active at once; its agent event and its audit row commit with it.
 */
export function publishPolicyVersion({ actor, input }: { actor: Actor; input: NewPolicyVersion }): Promise<AgentPolicyVersion> {
  return getDb().transaction(async (tx) => {
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
  });
}

/** Rollback: publishes an old version's rules, name and description again as the newest version. */
export function republishPolicyVersion({ actor, source }: { actor: Actor; source: AgentPolicyVersion }): Promise<AgentPolicyVersion> {
  return publishPolicyVersion({ actor, input: { name: source.name, description: source.description, rules: source.rules, republishedFrom: source.version } });
}
