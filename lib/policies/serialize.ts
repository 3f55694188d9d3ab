import type { Policy, PolicyRevision } from "@/db/schema";

/** The wire shape of a security policy, exactly as the Security Policies API document shows it. */
export interface PolicyJson {
  id: string;
  name: string;
  description: string;
  type: Policy["type"];
  rules: string[];
  enabled: boolean;
  created_at: string;
  /** Added to the documented shape, only for a policy Palisade enforces: its kind and its settings. */
  kind?: NonNullable<Policy["kind"]>;
  settings?: NonNullable<Policy["settings"]>;
}

export function toPolicyJson(policy: Policy): PolicyJson {
  return {
    id: policy.id,
    name: policy.name,
    description: policy.description,
    type: policy.type,
    rules: policy.rules,
    enabled: policy.enabled,
    created_at: policy.createdAt.toISOString(),
    ...(policy.kind && policy.settings ? { kind: policy.kind, settings: policy.settings } : {}),
  };
}

/** A policy as agents see it, in the `security_policy` event and in their snapshot. */
export type AgentSecurityPolicy = Pick<Policy, "id" | "name" | "type" | "enabled" | "rules">;

export function toAgentSecurityPolicy(policy: Policy): AgentSecurityPolicy {
  return { id: policy.id, name: policy.name, type: policy.type, enabled: policy.enabled, rules: policy.rules };
}

/** A revision on the wire: its number, the change that made it, who made it, when, and the policy as it left it. */
export interface PolicyRevisionJson {
  revision: number;
  change: PolicyRevision["change"];
  restored_from?: number;
  user_email: string | null;
  created_at: string;
  policy: PolicyJson;
}

export function toPolicyRevisionJson(revision: PolicyRevision): PolicyRevisionJson {
  return {
    revision: revision.revision,
    change: revision.change,
    ...(revision.restoredFrom !== null ? { restored_from: revision.restoredFrom } : {}),
    user_email: revision.userEmail,
    created_at: revision.createdAt.toISOString(),
    policy: revision.policy,
  };
}
