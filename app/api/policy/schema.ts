import { z } from "zod";
import { agentOverridesSchema, agentRulesSchema } from "@/lib/agent-policy/rules";

export const createPolicyVersionBody = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  description: z.string().trim().max(2000, "must be at most 2000 characters").optional(),
  rules: agentRulesSchema,
  org_id: z.string().min(1).max(100).optional(),
});

export const overridesBody = z.strictObject({ rules: agentOverridesSchema });

export const listVersionsQuery = z.object({
  limit: z.coerce.number("must be a number").int().min(1).max(1000).default(100),
});
