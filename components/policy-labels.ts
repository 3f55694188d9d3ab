import type { PolicyType } from "@/lib/policies/constants";
import type { BadgeTone } from "./ui/badge";

export const POLICY_TYPE_LABELS: Record<PolicyType, string> = { access: "Access", network: "Network", session: "Session" };

export const POLICY_TYPE_TONES: Record<PolicyType, BadgeTone> = { access: "indigo", network: "blue", session: "neutral" };

/** What each type is for, from the Security Policies API document, to help with an empty group. */
export const POLICY_TYPE_EXAMPLES: Record<PolicyType, string> = {
  access: "Access policies control authentication and authorization: MFA, passwords, session timeouts, login attempt limits.",
  network: "Network policies define network security: tunnels, encryption standards, IP allow and deny lists, zero trust.",
  session: "Session policies govern workspace sessions: recording, activity logging, idle timeouts, data retention.",
};
