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
