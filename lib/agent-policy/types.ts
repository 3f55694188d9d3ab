/** Agent policy rule types and shapes, as the Agent Policy API document defines them. Safe for the browser. */
export const AGENT_RULE_TYPES = ["block_ip", "alert_threshold", "auto_respond", "custom"] as const;
export type AgentRuleType = (typeof AGENT_RULE_TYPES)[number];

export interface AgentRule {
  type: AgentRuleType;
  config: Record<string, unknown>;
  enabled: boolean;
}

export interface AgentRuleOverride {
  type: AgentRuleType;
  enabled?: boolean;
  config?: Record<string, unknown>;
}

/** What a `policy_version` event carries: everything an agent needs, so replay never joins. */
export interface PolicyVersionEventPayload {
  version: number;
  policyId: string;
  name: string;
  rules: AgentRule[];
}

/** Where a version applies: the whole fleet, a rollout's canary agents, or (aborted) nowhere. */
export const ROLLOUT_STAGES = ["fleet", "canary", "aborted"] as const;
export type RolloutStage = (typeof ROLLOUT_STAGES)[number];

/** A rollout in progress: a version that applies only to the agents its label selector matches. */
export interface Rollout {
  selector: string;
  version: PolicyVersionEventPayload;
}

/**
 * Which versions apply: the fleet's, and the one rolling out to some agents, if any. Each `policy_version` event
 * carries the whole state after it, so an agent's version follows from the event and its own labels alone.
 */
export interface PolicyState {
  fleet: PolicyVersionEventPayload | null;
  rollout: Rollout | null;
  /** The highest version published as of this state (absent from events written before signed policies). */
  highest?: number;
}

/** The last policy an agent refused, as its heartbeat reported it (unsigned, wrongly signed, or a rollback). */
export interface AgentPolicyRefusal {
  version: string | null;
  reason: string;
  at: string;
}

/** How many streaming agents hold one label set. */
export interface LabelSetCount {
  labels: Record<string, string>;
  agents: number;
}

/** Which version numbers apply: the fleet's, the rollout's (to its selector's agents), and the highest published. */
export interface VersionTargets {
  fleet: number | null;
  rollout: { version: number; selector: string } | null;
  highest: number;
}
