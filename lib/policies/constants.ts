/** Security policy types, as the Security Policies API document defines them. Safe for the browser. */
export const POLICY_TYPES = ["access", "network", "session"] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

/** Agents enforce network and session policies, so a change to one of those reaches their streams. */
export const AGENT_ENFORCED_TYPES: readonly PolicyType[] = ["network", "session"];

/** What a security policy revision records: the change that made it. */
export const POLICY_REVISION_CHANGES = ["created", "updated", "toggled", "deleted", "restored"] as const;
export type PolicyRevisionChange = (typeof POLICY_REVISION_CHANGES)[number];
