import type { AgentRuleType } from "@/lib/agent-policy/types";
import { RULE_CONFIG_SCHEMAS } from "@/lib/agent-policy/rules";

/**
 * How the console edits each rule type's config. Field names, enum options and limits come from
 * RULE_CONFIG_SCHEMAS, so the editors produce exactly what the API validates.
 */

// Listed here rather than imported from db/schema, which would pull the database layer into the browser bundle.
export const RULE_TYPES = Object.keys(RULE_CONFIG_SCHEMAS) as AgentRuleType[];

export const RULE_TYPE_LABELS: Record<AgentRuleType, string> = {
  block_ip: "Block IP",
  alert_threshold: "Alert threshold",
  auto_respond: "Auto-respond",
  custom: "Custom",
};

export type FieldInput =
  | { kind: "text"; multiline?: boolean }
  | { kind: "number"; step: string }
  | { kind: "select"; options: readonly string[] }
  | { kind: "boolean" }
  /** A list of strings, typed comma-separated. */
  | { kind: "list" }
  /** A JSON object. */
  | { kind: "json" };

export interface FieldSpec {
  name: string;
  label: string;
  hint: string;
  input: FieldInput;
  optional?: boolean;
}

const { block_ip, alert_threshold, auto_respond } = RULE_CONFIG_SCHEMAS;

export const RULE_FIELDS: Record<AgentRuleType, FieldSpec[]> = {
  block_ip: [
    { name: "trigger", label: "Trigger", hint: "Threat type that activates the block, e.g. brute_force.", input: { kind: "text" } },
    { name: "threshold", label: "Threshold", hint: "Number of events before blocking; more than 0.", input: { kind: "number", step: "1" } },
    { name: "duration", label: "Duration", hint: "How long the block lasts.", input: { kind: "select", options: block_ip.shape.duration.options } },
    { name: "scope", label: "Scope", hint: "host: this host's firewall; fleet: every agent.", input: { kind: "select", options: block_ip.shape.scope.options } },
  ],
  alert_threshold: [
    { name: "severity", label: "Severity", hint: "Minimum severity to count.", input: { kind: "select", options: alert_threshold.shape.severity.options } },
    { name: "countPerHour", label: "Count per hour", hint: "Alert when more events than this occur in an hour.", input: { kind: "number", step: "1" } },
    { name: "notifyChannels", label: "Notify channels", hint: "Comma-separated, e.g. telegram, email.", input: { kind: "list" } },
  ],
  auto_respond: [
    { name: "trigger", label: "Trigger", hint: "Threat type that activates the response, e.g. malware.", input: { kind: "text" } },
    { name: "action", label: "Action", hint: "What the agent does.", input: { kind: "select", options: auto_respond.shape.action.options } },
    { name: "minConfidence", label: "Minimum confidence", hint: "AI confidence score from 0 to 1.", input: { kind: "number", step: "0.05" } },
    { name: "requireApproval", label: "Require approval", hint: "Send an approval request instead of acting automatically.", input: { kind: "boolean" } },
  ],
  custom: [
    { name: "condition", label: "Condition", hint: "Expression the agent's rule engine evaluates.", input: { kind: "text", multiline: true } },
    { name: "action", label: "Action", hint: "Action to execute.", input: { kind: "text" } },
    { name: "params", label: "Params", hint: "Optional JSON object of extra parameters.", input: { kind: "json" }, optional: true },
  ],
};

/** The config a new rule starts with: valid but for what only the admin can say (the threat type, channels). */
export function ruleTemplate(type: AgentRuleType): Record<string, unknown> {
  switch (type) {
    case "block_ip":
      return { trigger: "", threshold: 10, duration: "1h", scope: "host" };
    case "alert_threshold":
      return { severity: "high", countPerHour: 10, notifyChannels: [] };
    case "auto_respond":
      return { trigger: "", action: "kill_process", minConfidence: 0.9, requireApproval: true };
    case "custom":
      return { condition: "", action: "" };
  }
}
