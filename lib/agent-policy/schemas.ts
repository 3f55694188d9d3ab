import { z } from "zod";
import { agentOverridesSchema, agentRulesSchema } from "@/lib/agent-policy/rules";
import { labelSelectorSchema } from "@/lib/agent-policy/selector";
import { plainName, plainText } from "@/lib/validation";

export const createPolicyVersionBody = z.strictObject({
  name: plainName({ max: 200 }),
  description: plainText({ max: 2000 }).optional(),
  rules: agentRulesSchema,
  org_id: z.string().min(1).max(100).optional(),
  selector: labelSelectorSchema.optional(),
});

export const overridesBody = z.strictObject({ rules: agentOverridesSchema });

export const listVersionsQuery = z.object({
  limit: z.coerce.number("must be a number").int().min(1).max(1000).default(100),
});
