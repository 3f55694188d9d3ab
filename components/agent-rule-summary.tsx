import type { AgentRule, AgentRuleType } from "@/lib/agent-policy/types";
import { RULE_CONFIG_SCHEMAS } from "@/lib/agent-policy/rules";
import { RULE_TYPE_LABELS } from "./agent-rule-types";
import { Badge } from "./ui/badge";

const percent = (value: number) => `${Math.round(value * 100)}%`;

/**
 * One readable sentence per rule, e.g. "Block IPs after 50 brute_force events for 24h on this host".
 * A config the schema refuses (a draft being edited) is shown as its JSON instead.
 */
export function describeRule(rule: Pick<AgentRule, "type" | "config">): string {
  switch (rule.type) {
    case "block_ip": {
      const parsed = RULE_CONFIG_SCHEMAS.block_ip.safeParse(rule.config);
      if (!parsed.success) break;
      const { threshold, trigger, duration, scope } = parsed.data;
      const span = duration === "permanent" ? "permanently" : `for ${duration}`;
      return `Block IPs after ${threshold} ${trigger} events ${span} ${scope === "fleet" ? "across the fleet" : "on this host"}`;
    }
    case "alert_threshold": {
      const parsed = RULE_CONFIG_SCHEMAS.alert_threshold.safeParse(rule.config);
      if (!parsed.success) break;
      const { countPerHour, severity, notifyChannels } = parsed.data;
      return `Notify ${notifyChannels.join(", ")} when more than ${countPerHour} events of ${severity} severity or higher occur in an hour`;
    }
    case "auto_respond": {
      const parsed = RULE_CONFIG_SCHEMAS.auto_respond.safeParse(rule.config);
      if (!parsed.success) break;
      const { action, trigger, minConfidence, requireApproval } = parsed.data;
      return `Respond to ${trigger} detected with at least ${percent(minConfidence)} confidence by ${action}, ${requireApproval ? "after approval" : "automatically"}`;
    }
    case "custom": {
      const parsed = RULE_CONFIG_SCHEMAS.custom.safeParse(rule.config);
      if (!parsed.success) break;
      const { condition, action, params } = parsed.data;
      const withParams = params && Object.keys(params).length > 0 ? ` with ${JSON.stringify(params)}` : "";
      return `When ${condition}, run ${action}${withParams}`;
    }
  }
  return JSON.stringify(rule.config);
}

/** The rules of a version (or an agent's effective rules), numbered, each with its type and state. */
export function AgentRuleList({ rules, label, overridden }: { rules: AgentRule[]; label: string; overridden?: ReadonlySet<AgentRuleType> }) {
  return (
    <ol aria-label={label} className="divide-y divide-slate-200">
      {rules.map((rule, index) => (
        <li key={index} className="flex flex-col gap-1.5 py-3 sm:flex-row sm:items-start sm:gap-3">
          <div className="flex shrink-0 flex-wrap items-center gap-1.5 sm:w-44">
            <span className="text-xs font-medium text-slate-500">#{index + 1}</span>
            <Badge tone="indigo">{RULE_TYPE_LABELS[rule.type]}</Badge>
            {!rule.enabled && <Badge tone="amber">Disabled</Badge>}
            {overridden?.has(rule.type) && <Badge tone="blue">Overridden</Badge>}
          </div>
          <p className={rule.enabled ? "text-sm text-slate-800" : "text-sm text-slate-600"}>{describeRule(rule)}</p>
        </li>
      ))}
    </ol>
  );
}
