/** What an agent event in the organization's log can be. */
export const AGENT_EVENT_TYPES = ["policy_version", "overrides", "labels", "security_policy", "revoked"] as const;
export type AgentEventType = (typeof AGENT_EVENT_TYPES)[number];
