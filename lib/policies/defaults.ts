import type { PolicyType } from "@/lib/policies/constants";

export interface DefaultPolicy {
  id: string;
  name: string;
  description: string;
  type: PolicyType;
  rules: string[];
}

/** The three default policies, exactly as the Security Policies API document defines them. The document calls them critical. */
export const DEFAULT_POLICIES: readonly DefaultPolicy[] = [
  {
    id: "pol-mfa-required",
    name: "MFA Required",
    description: "Enforce multi-factor authentication for all users",
    type: "access",
    rules: ["Require MFA for login", "WebAuthn preferred", "TOTP as fallback"],
  },
  {
    id: "pol-network-zero-trust",
    name: "Zero Trust Network",
    description: "All connections through encrypted NetBird tunnels",
    type: "network",
    rules: ["No direct connections", "WireGuard encryption", "Identity verification"],
  },
  {
    id: "pol-session-recording",
    name: "Session Recording",
    description: "Record all workspace sessions for audit",
    type: "session",
    rules: ["Record screen activity", "Log keystrokes for audit", "30-day retention"],
  },
];

export const MFA_POLICY_ID = "pol-mfa-required";

const CRITICAL_IDS = new Set(DEFAULT_POLICIES.map((policy) => policy.id));

export function isCriticalPolicy(id: string): boolean {
  return CRITICAL_IDS.has(id);
}
