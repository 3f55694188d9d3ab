import "server-only";
import { appendAgentEvent } from "@/lib/events/agent-events";
import { getAgent, insertAgent, revokeAgentRow, updateLiveAgent } from "@/db/queries/agents";
import { consumeEnrollmentKey } from "@/db/queries/enrollment-keys";
import { getDb } from "@/db";
import type { Agent } from "@/db/schema";
import type { AgentRuleOverride } from "@/lib/agent-policy/types";
import { recordAudit, type Actor } from "@/lib/audit/log";
import { forgetAgent } from "@/lib/auth/agent-tokens";
import { hashSecret, issueSecret } from "@/lib/auth/secrets";
import { newAgentId } from "@/lib/ids";

/** Agents: enrolment, per-agent overrides, revocation. Each commits with its audit row and its agent event. */

export interface Enrollment {
  enrollmentKey: string;
  hostname: string;
  agentVersion: string | null;
  labels: Record<string, string>;
  ip: string | null;
  userAgent: string | null;
}

// agent-<8 hex> leaves 2^32 ids: a fleet of thousands can collide, so a taken id is retried.
const ENROLL_ID_ATTEMPTS = 5;

/**
 * Enrols an agent with a live enrollment key, spending one use, and audits it. Returns the agent and its token,
 * shown this once (only its hash is stored); null when the key is not usable.
 */
export function enrollAgent(input: Enrollment): Promise<{ agent: Agent; token: string } | null> {
  const token = issueSecret("agentToken");
  return getDb().transaction(async (tx) => {
    const key = await consumeEnrollmentKey({ keyHash: hashSecret(input.enrollmentKey) }, tx);
    if (!key) return null;
    let agent: Agent | null = null;
    for (let attempt = 0; !agent && attempt < ENROLL_ID_ATTEMPTS; attempt++) {
      agent = await insertAgent(
        {
          id: newAgentId(),
          orgId: key.orgId,
          hostname: input.hostname,
          agentVersion: input.agentVersion,
          labels: input.labels,
          tokenHash: token.hash,
          enrollmentKeyId: key.id,
        },
        tx,
      );
    }
    if (!agent) throw new Error("could not allocate a free agent id");
    const actor: Actor = { orgId: key.orgId, userId: null, email: null, ip: input.ip, userAgent: input.userAgent };
    await recordAudit(
      actor,
      {
        action: "enroll_agent",
        resource: `agent:${agent.id}`,
        details: `Enrolled ${agent.hostname} with enrollment key ${key.id}`,
        success: true,
        after: { id: agent.id, hostname: agent.hostname, agentVersion: agent.agentVersion, labels: agent.labels },
      },
      tx,
    );
    return { agent, token: token.secret };
  });
}

/** Replaces an agent's overrides; the change reaches only that agent's streams, and is audited. Null if no such live agent. */
export function setAgentOverrides({ actor, id, overrides }: { actor: Actor; id: string; overrides: AgentRuleOverride[] }): Promise<Agent | null> {
  return getDb().transaction(async (tx) => {
    const before = await getAgent({ orgId: actor.orgId, id, lock: true }, tx);
    if (!before || before.revokedAt) return null;
    const after = await updateLiveAgent({ orgId: actor.orgId, id, changes: { overrides } }, tx);
    if (!after) throw new Error("locked agent row vanished");
    await appendAgentEvent({ orgId: actor.orgId, agentId: id, type: "overrides", payload: { overrides } }, tx);
    await recordAudit(
      actor,
      {
        action: "set_agent_overrides",
        resource: `agent:${id}`,
        details: overrides.length === 0 ? `Cleared the overrides of ${after.hostname}` : `Set ${overrides.length} override(s) on ${after.hostname}`,
        success: true,
        before: { overrides: before.overrides },
        after: { overrides },
      },
      tx,
    );
    return after;
  });
}

/**
 * Replaces an agent's labels (what rollout selectors match), audited with before/after. Null if no such live agent.
 * Labels an agent enrolled with are its own claims; an admin's relabelling is the organization's.
 */
export function relabelAgent({ actor, id, labels }: { actor: Actor; id: string; labels: Record<string, string> }): Promise<Agent | null> {
  return getDb().transaction(async (tx) => {
    const before = await getAgent({ orgId: actor.orgId, id, lock: true }, tx);
    if (!before || before.revokedAt) return null;
    const after = await updateLiveAgent({ orgId: actor.orgId, id, changes: { labels } }, tx);
    if (!after) throw new Error("locked agent row vanished");
    // Its stream learns the new labels: during a rollout they may change which version applies to it.
    await appendAgentEvent({ orgId: actor.orgId, agentId: id, type: "labels", payload: { labels } }, tx);
    await recordAudit(
      actor,
      { action: "relabel_agent", resource: `agent:${id}`, details: `Relabelled ${after.hostname}`, success: true, before: { labels: before.labels }, after: { labels: after.labels } },
      tx,
    );
    return after;
  });
}

/**
 * Revokes an agent: its token stops working and its open streams get a `revoked` event and close, on every
 * instance; this one forgets the agent's token before answering. Null when there is no such live agent.
 */
export async function revokeAgent({ actor, id }: { actor: Actor; id: string }): Promise<Agent | null> {
  const agent = await getDb().transaction(async (tx) => {
    const revoked = await revokeAgentRow({ orgId: actor.orgId, id }, tx);
    if (!revoked) return null;
    await appendAgentEvent({ orgId: actor.orgId, agentId: id, type: "revoked", payload: { reason: "revoked" } }, tx);
    await recordAudit(actor, { action: "revoke_agent", resource: `agent:${id}`, details: `Revoked ${revoked.hostname}`, success: true }, tx);
    return revoked;
  });
  if (agent) forgetAgent(agent.id);
  return agent;
}
