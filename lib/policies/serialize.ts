import type { Policy } from "@/db/schema";

/** The wire shape of a security policy, exactly as the Security Policies API document shows it. */
export interface PolicyJson {
  id: string;
  name: string;
  description: string;
  type: Policy["type"];
  rules: string[];
  enabled: boolean;
  created_at: string;
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
  };
}
