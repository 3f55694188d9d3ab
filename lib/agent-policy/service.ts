import "server-only";
import { appendAgentEvent } from "@/lib/events/agent-events";
import { countLiveAgentsMatching } from "@/db/queries/agents";
import { endRollout, getActivePolicyVersion, getPolicyVersion, getRolloutVersion, highestPolicyVersion, insertPolicyVersion, nextPolicyVersion } from "@/db/queries/agent-policies";
import { getDb, type Executor } from "@/db";
import { ApprovalRequired, fileChangeRequest, fourEyesHolds, type HeldChange } from "@/lib/change-requests/gate";
import type { AgentPolicyVersion } from "@/db/schema";
import type { AuditAction } from "@/lib/audit/actions";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";
import { ApiError } from "@/lib/errors";
import { newAgentPolicyId } from "@/lib/ids";
import { formatVersion } from "./rules";
import type { AgentRule, PolicyState, PolicyVersionEventPayload } from "./types";

export interface NewPolicyVersion {
  name: string;
  description: string | null;
  rules: AgentRule[];
  /** Set when this version republishes an older one (a rollback). */
  republishedFrom?: number;
  /** A label selector (in its one spelling): the version rolls out to the agents it matches first. */
  selector?: string;
}

const payloadOf = (version: AgentPolicyVersion): PolicyVersionEventPayload => ({ version: version.version, policyId: version.id, name: version.name, rules: version.rules });

/** Tells every agent the policy state after a change: each works out from its labels which version applies to it. */
async function announce(actor: Actor, state: { fleet: AgentPolicyVersion | null; rollout: AgentPolicyVersion | null }, tx: Executor): Promise<void> {
  const payload: PolicyState = {
    fleet: state.fleet && payloadOf(state.fleet),
    rollout: state.rollout && { selector: state.rollout.selector!, version: payloadOf(state.rollout) },
    highest: await highestPolicyVersion({ orgId: actor.orgId }, tx),
  };
  await appendAgentEvent({ orgId: actor.orgId, type: "policy_version", payload }, tx);
}

/** Refuses a publish while a rollout is in progress: an agent would then have two versions rolling out to it. */
async function refuseDuringRollout(orgId: string, tx: Executor): Promise<void> {
  const rollout = await getRolloutVersion({ orgId }, tx);
  if (rollout) throw ApiError.conflict(`${formatVersion(rollout.version)} is rolling out to ${rollout.selector}: promote or abort it before publishing another version`);
}

/**
 * Publishes the organization's next version in the caller's transaction (v1, v2, … with no gap or duplicate,
 * however many publish at once). Without a selector it is active at once for the whole fleet; with one it rolls out
 * to the agents the selector matches, until it is promoted or aborted. Its agent event and its audit row commit with it.
 */
export async function applyPublish(actor: Actor, input: NewPolicyVersion, tx: Executor): Promise<AgentPolicyVersion> {
  // Taking the number locks the organization's counter: publishes are serialized from here on.
  const version = await nextPolicyVersion({ orgId: actor.orgId }, tx);
  await refuseDuringRollout(actor.orgId, tx);
  const targeted = input.selector === undefined ? null : await countLiveAgentsMatching({ orgId: actor.orgId, selector: input.selector }, tx);
  if (targeted === 0) {
    const message = `${input.selector} matches no enrolled agent: relabel agents first, or publish to the whole fleet`;
    throw ApiError.validation([{ code: "custom", path: ["selector"], message, input: undefined }], "body");
  }
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
      selector: input.selector ?? null,
      stage: input.selector === undefined ? "fleet" : "canary",
    },
    tx,
  );
  await announce(actor, created.stage === "canary" ? { fleet: await getActivePolicyVersion({ orgId: actor.orgId }, tx), rollout: created } : { fleet: created, rollout: null }, tx);
  const label = formatVersion(created.version);
  const audience = targeted === null ? "" : ` to ${input.selector} (${targeted} agent${targeted === 1 ? "" : "s"})`;
  await recordAudit(
    actor,
    {
      action: "create_policy_version",
      resource: `agent-policy:${label}`,
      details: input.republishedFrom
        ? `Republished ${formatVersion(input.republishedFrom)} as ${label} "${created.name}"${audience}`
        : `Published ${label} "${created.name}" with ${created.rules.length} rules${audience}`,
      success: true,
      after: { id: created.id, version: label, name: created.name, description: created.description, rules: created.rules, selector: created.selector },
    },
    tx,
  );
  return created;
}

export type RolloutOutcome = "promoted" | "aborted";

/** The version, while it is rolling out; else why not (404 unknown, 409 not rolling out). */
async function requireRollout(orgId: string, version: number, tx: Executor): Promise<AgentPolicyVersion> {
  const found = await getPolicyVersion({ orgId, version }, tx);
  if (!found) throw ApiError.notFound(`Policy version ${formatVersion(version)} not found`);
  if (found.stage !== "canary") {
    const why = found.stage === "aborted" ? "its rollout was aborted" : found.promotedAt ? "it was promoted already" : "it was published to the whole fleet";
    throw ApiError.conflict(`${formatVersion(version)} is not rolling out: ${why}`);
  }
  return found;
}

/**
 * Ends a rollout in the caller's transaction. Promoted, the version becomes the active one for the whole fleet;
 * aborted, its agents return to the active version. Audited, and announced to every agent.
 */
export async function applyEndRollout(actor: Actor, version: number, outcome: RolloutOutcome, tx: Executor): Promise<AgentPolicyVersion> {
  await requireRollout(actor.orgId, version, tx);
  const ended = await endRollout({ orgId: actor.orgId, version, outcome }, tx);
  // Another transaction ended it between the check and the update.
  if (!ended) throw ApiError.conflict(`${formatVersion(version)} is not rolling out any more`);
  const fleet = outcome === "promoted" ? ended : await getActivePolicyVersion({ orgId: actor.orgId }, tx);
  await announce(actor, { fleet, rollout: null }, tx);
  const label = formatVersion(version);
  await recordAudit(
    actor,
    {
      action: outcome === "promoted" ? "promote_policy_version" : "abort_policy_version",
      resource: `agent-policy:${label}`,
      details:
        outcome === "promoted"
          ? `Promoted ${label} "${ended.name}" from ${ended.selector} to the whole fleet`
          : `Aborted the rollout of ${label} "${ended.name}" to ${ended.selector}: its agents return to ${fleet ? formatVersion(fleet.version) : "no policy"}`,
      success: true,
      before: { version: label, stage: "canary", selector: ended.selector },
      after: { version: label, stage: ended.stage, selector: ended.selector },
    },
    tx,
  );
  return ended;
}

/** A version as a change request previews it. */
const previewOf = (version: Pick<AgentPolicyVersion, "name" | "description" | "rules"> | null) => version && { name: version.name, description: version.description, rules: version.rules };

/**
 * Applies the change, or (while four-eyes holds it) files the request `held` describes and answers ApprovalRequired.
 * A refusal (no such version, a rollout in progress or over, a selector matching nobody) is audited as a failure.
 */
async function unlessHeld<T>(
  actor: Actor,
  audit: { action: AuditAction; resource: string },
  held: (tx: Executor) => Promise<HeldChange>,
  apply: (tx: Executor) => Promise<T>,
): Promise<T> {
  try {
    const outcome = await getDb().transaction(async (tx) => {
      if (!(await fourEyesHolds(actor, tx))) return { held: false as const, applied: await apply(tx) };
      return { held: true as const, request: await fileChangeRequest(actor, await held(tx), tx) };
    });
    if (outcome.held) throw new ApprovalRequired(outcome.request);
    return outcome.applied;
  } catch (error) {
    if (error instanceof ApiError) await recordFailure(actor, { ...audit, details: `Refused: ${error.fields[0]?.msg ?? error.message}` });
    throw error;
  }
}

/**
 * Publishes the organization's next version. While four-eyes is on, a change request is filed instead, against the
 * highest version published (ApprovalRequired).
 */
export function publishPolicyVersion({ actor, input }: { actor: Actor; input: NewPolicyVersion }): Promise<AgentPolicyVersion> {
  return unlessHeld(
    actor,
    { action: "create_policy_version", resource: "agent-policy" },
    async (tx) => {
      await refuseDuringRollout(actor.orgId, tx);
      const active = await getActivePolicyVersion({ orgId: actor.orgId }, tx);
      return { action: "publish_agent_policy", target: "agent-policy", payload: { ...input }, base: await highestPolicyVersion({ orgId: actor.orgId }, tx), preview: { before: previewOf(active), after: { ...previewOf(input), selector: input.selector ?? null } } };
    },
    (tx) => applyPublish(actor, input, tx),
  );
}

/** Promotes a rollout to the whole fleet, or aborts it; held for a second admin while four-eyes is on. */
export function endPolicyRollout({ actor, version, outcome }: { actor: Actor; version: number; outcome: RolloutOutcome }): Promise<AgentPolicyVersion> {
  return unlessHeld(
    actor,
    { action: outcome === "promoted" ? "promote_policy_version" : "abort_policy_version", resource: `agent-policy:${formatVersion(version)}` },
    async (tx) => {
      const rollout = await requireRollout(actor.orgId, version, tx);
      const active = await getActivePolicyVersion({ orgId: actor.orgId }, tx);
      const [from, to] = outcome === "promoted" ? [active, rollout] : [rollout, active];
      return {
        action: outcome === "promoted" ? "promote_agent_policy" : "abort_agent_policy",
        target: `agent-policy:${formatVersion(version)}`,
        payload: { version },
        base: version,
        preview: { before: previewOf(from), after: previewOf(to) },
      };
    },
    (tx) => applyEndRollout(actor, version, outcome, tx),
  );
}

/** Rollback: publishes an old version's rules, name and description again as the newest version. */
export function republishPolicyVersion({ actor, source }: { actor: Actor; source: AgentPolicyVersion }): Promise<AgentPolicyVersion> {
  return publishPolicyVersion({ actor, input: { name: source.name, description: source.description, rules: source.rules, republishedFrom: source.version } });
}
