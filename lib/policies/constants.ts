/** Security policy types, as the Security Policies API document defines them. Safe for the browser. */
export const POLICY_TYPES = ["access", "network", "session"] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];
