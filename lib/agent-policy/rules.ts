import { z } from "zod";
import type { AgentRule, AgentRuleOverride, AgentRuleType } from "@/lib/agent-policy/types";
import { boundedJsonObject, plainName, plainText } from "@/lib/validation";

/** Config of each rule type, with the fields and types of the Agent Policy API document's tables. */
export const RULE_CONFIG_SCHEMAS = {
  block_ip: z.strictObject({
    trigger: plainName({ max: 100 }),
    threshold: z.number("must be a number").positive("must be greater than 0"),
    duration: z.enum(["30m", "1h", "24h", "7d", "permanent"], "must be one of 30m, 1h, 24h, 7d, permanent"),
    scope: z.enum(["host", "fleet"], "must be host or fleet"),
  }),
  alert_threshold: z.strictObject({
    severity: z.enum(["info", "low", "medium", "high", "critical"], "must be one of info, low, medium, high, critical"),
    countPerHour: z.number("must be a number").int("must be a whole number").positive("must be greater than 0"),
    notifyChannels: z.array(plainName({ max: 100 })).min(1, "must list at least one channel").max(20),
  }),
  auto_respond: z.strictObject({
    trigger: plainName({ max: 100 }),
    action: z.enum(["kill_process", "quarantine_file", "block_ip", "isolate_host"], "must be one of kill_process, quarantine_file, block_ip, isolate_host"),
    minConfidence: z.number("must be a number").min(0, "must be between 0 and 1").max(1, "must be between 0 and 1"),
    requireApproval: z.boolean("must be true or false"),
  }),
  custom: z.strictObject({
    condition: plainText({ max: 2000 }).min(1, "must not be empty"),
    action: plainName({ max: 200 }),
    // Free-form, so bounded: it travels in every stream frame and audit row that carries the rule.
    params: boundedJsonObject({ maxDepth: 8, maxBytes: 16_384 }).optional(),
  }),
} satisfies Record<AgentRuleType, z.ZodType>;

const ruleOf = <T extends AgentRuleType>(type: T) =>
  z.strictObject({ type: z.literal(type), config: RULE_CONFIG_SCHEMAS[type], enabled: z.boolean("must be true or false").default(true) });

const RULE_TYPE_MESSAGE = "must be one of block_ip, alert_threshold, auto_respond, custom";

export const agentRuleSchema = z.discriminatedUnion(
  "type",
  [ruleOf("block_ip"), ruleOf("alert_threshold"), ruleOf("auto_respond"), ruleOf("custom")],
  { error: RULE_TYPE_MESSAGE },
);

export const agentRulesSchema = z.array(agentRuleSchema).min(1, "must contain at least one rule").max(200, "must contain at most 200 rules");

const overrideOf = <T extends AgentRuleType>(type: T) =>
  z.strictObject({ type: z.literal(type), enabled: z.boolean("must be true or false").optional(), config: RULE_CONFIG_SCHEMAS[type].partial().optional() });

export const agentOverridesSchema = z
  .array(
    z.discriminatedUnion("type", [overrideOf("block_ip"), overrideOf("alert_threshold"), overrideOf("auto_respond"), overrideOf("custom")], {
      error: RULE_TYPE_MESSAGE,
    }),
  )
  .max(4)
  .superRefine((overrides, context) => {
    const seen = new Set<string>();
    overrides.forEach((override, index) => {
      if (seen.has(override.type)) context.addIssue({ code: "custom", path: [index, "type"], message: "only one override per rule type" });
      seen.add(override.type);
    });
  });

/**
 * The rules an agent enforces: each override applies to every active rule of its type. `enabled`
 * replaces the rule's flag; `config` is merged key by key over the rule's config. An override for a type
 * the active version lacks changes nothing until a version with that type is published.
 */
export function effectiveRules(rules: AgentRule[], overrides: AgentRuleOverride[]): AgentRule[] {
  if (overrides.length === 0) return rules;
  const byType = new Map(overrides.map((override) => [override.type, override]));
  return rules.map((rule) => {
    const override = byType.get(rule.type);
    if (!override) return rule;
    return {
      type: rule.type,
      config: override.config ? { ...rule.config, ...override.config } : rule.config,
      enabled: override.enabled ?? rule.enabled,
    };
  });
}

export const formatVersion = (version: number) => `v${version}`;

/** "v3" or "3" -> 3; anything else -> null. */
export function parseVersion(value: string): number | null {
  const match = /^v?([1-9][0-9]{0,8})$/.exec(value.trim());
  return match ? Number(match[1]) : null;
}
