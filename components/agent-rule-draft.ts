import type { AgentRule, AgentRuleOverride, AgentRuleType } from "@/lib/agent-policy/types";
import { formatPath } from "@/lib/errors";
import { RULE_TYPES } from "./agent-rule-types";

/**
 * The editors' state, kept as close to the API's JSON as possible: config values are stored exactly as they
 * will be sent (a wrong value included, so the server names it), which lets the JSON view round-trip.
 */

/** A rule being edited; `key` stays with it when rules are reordered. */
export interface RuleDraft {
  key: string;
  type: AgentRuleType;
  enabled: boolean;
  config: Record<string, unknown>;
}

/** What the publish form sends for one rule: the API's rule shape. */
export type RuleInput = Pick<AgentRule, "type" | "enabled" | "config">;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A config without the fields an editor left empty (undefined), as JSON would carry it. */
export function compactConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
}

export function toDrafts(rules: RuleInput[], keyOf: (index: number) => string): RuleDraft[] {
  return rules.map((rule, index) => ({ key: keyOf(index), type: rule.type, enabled: rule.enabled, config: { ...rule.config } }));
}

export function toRuleInputs(drafts: RuleDraft[]): RuleInput[] {
  return drafts.map(({ type, config, enabled }) => ({ type, config: compactConfig(config), enabled }));
}

export function rulesToJson(drafts: RuleDraft[]): string {
  return JSON.stringify(toRuleInputs(drafts), null, 2);
}

export type ParsedJson<T> = { ok: true; value: T } | { ok: false; error: string };

/** JSON text, or why it is not JSON. */
export function parseJson(text: string): ParsedJson<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * The JSON view's text as drafts for the structured editor. It must be an array of rules whose type the
 * editor knows; values are kept as they are, right or wrong. Existing keys are reused by position so that
 * errors and focus stay with their rule.
 */
export function draftsFromJson(text: string, keyOf: (index: number) => string): ParsedJson<RuleDraft[]> {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  if (!Array.isArray(parsed.value)) return { ok: false, error: "The rules must be a JSON array." };
  const drafts: RuleDraft[] = [];
  for (const [index, item] of parsed.value.entries()) {
    const at = `rules[${index}]`;
    if (!isPlainObject(item)) return { ok: false, error: `${at} must be an object.` };
    const extra = Object.keys(item).find((key) => !["type", "config", "enabled"].includes(key));
    if (extra) return { ok: false, error: `${at} has a field the editor does not know: "${extra}".` };
    const type = RULE_TYPES.find((known) => known === item.type);
    if (!type) return { ok: false, error: `${at}.type must be one of ${RULE_TYPES.join(", ")}.` };
    if (item.enabled !== undefined && typeof item.enabled !== "boolean") return { ok: false, error: `${at}.enabled must be true or false.` };
    if (item.config !== undefined && !isPlainObject(item.config)) return { ok: false, error: `${at}.config must be an object.` };
    drafts.push({ key: keyOf(index), type, enabled: item.enabled ?? true, config: { ...(item.config ?? {}) } });
  }
  return { ok: true, value: drafts };
}

/** A key of a console action's field errors ("rules.1.config.threshold") as the API path "rules[1].config.threshold". */
export function toApiPath(fieldKey: string): string {
  return formatPath(fieldKey.split(".").map((part) => (/^\d+$/.test(part) ? Number(part) : part)));
}

/** Overrides being edited, one per rule type at most (the API allows no more). */
export type OverrideDrafts = Partial<Record<AgentRuleType, { enabled?: boolean; config: Record<string, unknown> }>>;

export function toOverrideDrafts(overrides: AgentRuleOverride[]): OverrideDrafts {
  return Object.fromEntries(overrides.map((override) => [override.type, { enabled: override.enabled, config: { ...override.config } }]));
}

/** The overrides to send, in rule-type order; an override with no config field sends no config. */
export function toOverrideInputs(drafts: OverrideDrafts): AgentRuleOverride[] {
  return RULE_TYPES.flatMap((type) => {
    const draft = drafts[type];
    if (!draft) return [];
    const config = compactConfig(draft.config);
    return [{ type, ...(draft.enabled === undefined ? {} : { enabled: draft.enabled }), ...(Object.keys(config).length > 0 ? { config } : {}) }];
  });
}
