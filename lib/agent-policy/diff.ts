import { diffRuleLists, diffRuleSets, type RuleChange, type RuleModel, type RuleSetDiff } from "@/lib/diff";
import type { AgentRule } from "@/lib/agent-policy/types";

export interface DiffableVersion {
  name: string;
  description: string | null;
  rules: AgentRule[];
}

/** Agent rules match within their type, and differ by their enabled flag and config. */
const AGENT_RULES: RuleModel<AgentRule> = { group: (rule) => rule.type, fields: (rule) => ({ enabled: rule.enabled, config: rule.config }) };

export function diffRules(from: AgentRule[], to: AgentRule[]): RuleChange<AgentRule>[] {
  return diffRuleLists(from, to, AGENT_RULES);
}

/** What changed from one version to another: its name and description, then rule by rule. */
export function diffVersions(from: DiffableVersion, to: DiffableVersion): RuleSetDiff<AgentRule> {
  return diffRuleSets(
    { from: { name: from.name, description: from.description ?? undefined }, to: { name: to.name, description: to.description ?? undefined } },
    { from: from.rules, to: to.rules },
    AGENT_RULES,
  );
}
