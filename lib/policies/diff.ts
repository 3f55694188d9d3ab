import { diffRuleSets, type RuleModel, type RuleSetDiff } from "@/lib/diff";
import type { PolicyJson } from "./serialize";

/** A security policy's rules are plain strings: any rule may have been reworded into any other. */
const RULE_STRINGS: RuleModel<string> = { group: () => "rule", fields: (rule) => ({ text: rule }) };

/** What changed between two states of a security policy (two revisions): its details, then rule by rule. */
export function diffRevisions(from: PolicyJson, to: PolicyJson): RuleSetDiff<string> {
  const details = ({ name, description, type, enabled, settings }: PolicyJson) => ({ name, description, type, enabled, settings });
  return diffRuleSets({ from: details(from), to: details(to) }, { from: from.rules, to: to.rules }, RULE_STRINGS);
}
