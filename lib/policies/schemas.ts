import { z } from "zod";
import { booleanQuery, plainName, plainText } from "@/lib/validation";
import { POLICY_TYPES } from "./constants";

export const policyId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, "must be 1-64 lowercase letters, digits or hyphens, not starting or ending with a hyphen");

const name = plainName({ max: 200 });
const description = plainText({ max: 2000 });
const type = z.enum(POLICY_TYPES);
const rules = z
  .array(plainName({ max: 500 }))
  .min(1, "must contain at least one rule")
  .max(100, "must contain at most 100 rules");
// Accepted so a client can send back a policy it read, and ignored: they are not writable.
const readOnly = { created_at: z.unknown().optional() };

export const listPoliciesQuery = z.object({
  type: type.optional(),
  enabled: booleanQuery.optional(),
});

export const createPolicyBody = z.strictObject({
  id: policyId.optional(),
  name,
  description: description.default(""),
  type,
  rules,
  enabled: z.boolean().default(true),
  ...readOnly,
});

export const updatePolicyBody = z
  .strictObject({
    id: policyId.optional(),
    name: name.optional(),
    description: description.optional(),
    type: type.optional(),
    rules: rules.optional(),
    enabled: z.boolean().optional(),
    ...readOnly,
  })
  .refine(
    (body) => ["name", "description", "type", "rules", "enabled"].some((key) => key in body && body[key as keyof typeof body] !== undefined),
    "must contain at least one of name, description, type, rules, enabled",
  );

/** PATCH takes no body (it toggles), or `{"enabled": true|false}` to set the state idempotently. */
export const togglePolicyBody = z.strictObject({ enabled: z.boolean().optional() }).optional();

export const deletePolicyQuery = z.object({ confirm: booleanQuery.default(false) });
