"use client";

import { useEffect, useRef, useState, useTransition, type FormEvent } from "react";
import { setAgentOverridesAction, type OverridesInput } from "@/app/(console)/agents/[id]/actions";
import type { AgentRule, AgentRuleOverride, AgentRuleType } from "@/lib/agent-policy/types";
import { jsonEqual } from "@/lib/diff";
import { effectiveRules } from "@/lib/agent-policy/rules";
import { toApiPath, toOverrideDrafts, toOverrideInputs, type OverrideDrafts } from "./agent-rule-draft";
import { RuleField } from "./agent-rule-field";
import { AgentRuleList } from "./agent-rule-summary";
import { RULE_FIELDS, RULE_TYPE_LABELS, RULE_TYPES } from "./agent-rule-types";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Select } from "./ui/field";
import { useConsoleAction } from "./use-console-action";

interface Outcome {
  error?: string;
  success?: string;
  errors: Record<string, string>;
  /** The rule type of each override sent, in order: errors name overrides by index. */
  types: AgentRuleType[];
}

const OVERRIDE_LEVEL = ["", ".type", ".enabled", ".config"];

/**
 * An agent's overrides, one per rule type: whether its rules are enabled, and any config fields to replace
 * (an empty field keeps each rule's own value). A preview shows the effective rules before saving.
 */
export function AgentOverridesEditor({ agentId, saved, activeRules }: { agentId: string; saved: AgentRuleOverride[]; activeRules: AgentRule[] }) {
  const [drafts, setDrafts] = useState<OverrideDrafts>(() => toOverrideDrafts(saved));
  const [outcome, setOutcome] = useState<Outcome>({ errors: {}, types: [] });
  // Bumped on discard: the fields remount with the saved values instead of what was typed.
  const [revision, setRevision] = useState(0);
  const { run } = useConsoleAction(setAgentOverridesAction);
  // `await run()` in a transition of its own: a redirect reaches Next's boundary, and `pending` lasts until the outcome shows.
  const [pending, startTransition] = useTransition();
  const summary = useRef<HTMLDivElement>(null);
  const overrides = toOverrideInputs(drafts);
  const changed = !jsonEqual(overrides, saved);

  useEffect(() => {
    if (outcome.error) summary.current?.focus();
  }, [outcome]);

  const errorAt = (type: AgentRuleType, suffix: string) => {
    const index = outcome.types.indexOf(type);
    return index === -1 ? undefined : outcome.errors[`rules[${index}]${suffix}`];
  };

  const setDraft = (type: AgentRuleType, draft: OverrideDrafts[AgentRuleType]) => setDrafts((all) => ({ ...all, [type]: draft }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const types = overrides.map((override) => override.type);
    startTransition(async () => {
      const result = await run({ id: agentId, rules: overrides as OverridesInput["rules"] });
      const errors = Object.fromEntries(Object.entries(result.fields ?? {}).map(([key, message]) => [toApiPath(key), message]));
      setOutcome({ error: result.error, success: result.success, errors, types });
    });
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-5">
      {outcome.error && (
        <div ref={summary} tabIndex={-1} className="focus:outline-none">
          <Alert tone="error" title={outcome.error}>
            {Object.keys(outcome.errors).length > 0 && (
              <ul className="mt-1 list-disc pl-5">
                {Object.entries(outcome.errors).map(([path, message]) => (
                  <li key={path}>
                    <code className="font-mono text-xs">{path}</code>: {message}
                  </li>
                ))}
              </ul>
            )}
          </Alert>
        </div>
      )}
      {outcome.success && !changed && <Alert tone="success">{outcome.success}</Alert>}

      {RULE_TYPES.map((type) => {
        const draft = drafts[type];
        const inVersion = activeRules.filter((rule) => rule.type === type).length;
        const prefix = `override-${type}`;
        const overrideErrors = OVERRIDE_LEVEL.map((suffix) => errorAt(type, suffix)).filter(Boolean);
        return (
          <fieldset key={`${type}:${revision}`} className="rounded-lg border border-slate-200 p-4">
            <legend className="px-1 text-sm font-semibold text-slate-900">{RULE_TYPE_LABELS[type]} rules</legend>
            <div className="flex items-center gap-2">
              <input
                id={`${prefix}-on`}
                type="checkbox"
                checked={draft !== undefined}
                onChange={(event) => setDraft(type, event.target.checked ? { config: {} } : undefined)}
                className="size-4 accent-indigo-600"
                aria-describedby={`${prefix}-count`}
              />
              <label htmlFor={`${prefix}-on`} className="text-sm font-medium text-slate-800">
                Override {RULE_TYPE_LABELS[type]} rules on this agent
              </label>
            </div>
            <p id={`${prefix}-count`} className="mt-1 text-xs text-slate-600">
              {inVersion === 0
                ? "The active version has no rule of this type: an override applies once a version has one."
                : `Applies to the ${inVersion} ${inVersion === 1 ? "rule" : "rules"} of this type in the active version.`}
            </p>
            {overrideErrors.length > 0 && (
              <ul className="mt-2 text-xs font-medium text-red-700">
                {overrideErrors.map((message) => (
                  <li key={message}>{message}</li>
                ))}
              </ul>
            )}
            {draft && (
              <div className="mt-4 grid gap-4 sm:grid-cols-2">
                <div className="space-y-1.5">
                  <label htmlFor={`${prefix}-enabled`} className="block text-sm font-medium text-slate-800">
                    Enabled
                  </label>
                  <Select
                    id={`${prefix}-enabled`}
                    value={draft.enabled === undefined ? "" : String(draft.enabled)}
                    onChange={(event) => setDraft(type, { ...draft, enabled: event.target.value === "" ? undefined : event.target.value === "true" })}
                  >
                    <option value="">Keep each rule&apos;s setting</option>
                    <option value="true">Enabled on this agent</option>
                    <option value="false">Disabled on this agent</option>
                  </Select>
                </div>
                {RULE_FIELDS[type].map((spec) => (
                  <RuleField
                    key={spec.name}
                    id={`${prefix}-${spec.name}`}
                    spec={spec}
                    value={draft.config[spec.name]}
                    error={errorAt(type, `.config.${spec.name}`)}
                    onChange={(value) => setDraft(type, { ...draft, config: { ...draft.config, [spec.name]: value } })}
                    inherit
                  />
                ))}
              </div>
            )}
          </fieldset>
        );
      })}

      {changed && (
        <section aria-labelledby="overrides-preview" className="rounded-lg border border-dashed border-indigo-300 bg-indigo-50/40 p-4">
          <h3 id="overrides-preview" className="text-sm font-semibold text-slate-900">
            Preview: effective rules with these overrides
          </h3>
          <AgentRuleList rules={effectiveRules(activeRules, overrides)} label="Effective rules preview" overridden={new Set(overrides.map((override) => override.type))} />
        </section>
      )}

      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={pending || !changed}>
          {pending ? "Saving…" : "Save overrides"}
        </Button>
        <Button
          variant="secondary"
          disabled={pending || !changed}
          onClick={() => {
            setDrafts(toOverrideDrafts(saved));
            setRevision((value) => value + 1);
          }}
        >
          Discard changes
        </Button>
      </div>
    </form>
  );
}
