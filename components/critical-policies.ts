import { MFA_POLICY_ID } from "@/lib/policies/defaults";

/**
 * Why each critical default should stay enabled, in the words of the Security Policies API document's
 * "Security Best Practices": shown wherever one is disabled, or about to be.
 */
export const CRITICAL_POLICY_REASONS: Readonly<Record<string, string>> = {
  [MFA_POLICY_ID]: "It protects against credential theft.",
  "pol-network-zero-trust": "It ensures all connections are encrypted.",
  "pol-session-recording": "It is required for compliance and audit trails.",
};

/** The document's own warning for the MFA toggle ("Disable MFA requirement (not recommended!)"). */
export const MFA_DISABLE_WARNING = "Disabling the MFA requirement is not recommended.";
