"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition, type FormEvent } from "react";
import { publishPolicyVersionAction, type PublishInput } from "@/app/(console)/agent-policy/actions";
import type { AgentRuleType } from "@/lib/agent-policy/types";
import { draftsFromJson, parseJson, rulesToJson, toApiPath, toDrafts, toRuleInputs, type RuleDraft, type RuleInput } from "./agent-rule-draft";
import { RuleField } from "./agent-rule-field";
import { RULE_FIELDS, RULE_TYPE_LABELS, RULE_TYPES, ruleTemplate } from "./agent-rule-types";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Input, Select, Textarea } from "./ui/field";
import { useConsoleAction } from "./use-console-action";

export interface PolicyVersionEditorProps {
  /** The active version, or a starting rule before the first publish. */
  initial: { name: string; description: string; rules: RuleInput[] };
  nextVersion: string;
}

/** The last answer of the server, with the keys of the rules it judged, so errors follow their rule when moved. */
interface Outcome {
  error?: string;
  errors: Record<string, string>;
  keys: string[];
}

const fieldId = (key: string, name: string) => `${key}-${name}`;
const RULE_LEVEL = ["", ".type", ".enabled", ".config"];
/** The fields outside the rules, each an input with the id policy-<path>. */
const TOP_FIELDS = ["name", "description", "selector"];

/**
 * The publish form: name, description and rules, edited one rule at a time or as JSON. The two views share one
 * state, so switching never loses anything. The server validates with the API's schema and names each bad
 * field by its path (rules[1].config.threshold); the message is shown beside that field.
 */
export function PolicyVersionEditor({ initial, nextVersion }: PolicyVersionEditorProps) {
  const router = useRouter();
  const keyCounter = useRef(initial.rules.length);
  const nextKey = () => `rule-${keyCounter.current++}`;
  const [name, setName] = useState(initial.name);
  const [description, setDescription] = useState(initial.description);
  const [selector, setSelector] = useState("");
  const [drafts, setDrafts] = useState<RuleDraft[]>(() => toDrafts(initial.rules, (index) => `rule-${index}`));
  const [mode, setMode] = useState<"form" | "json">("form");
  const [json, setJson] = useState("");
  const [jsonError, setJsonError] = useState<string>();
  // Bumped when drafts are replaced from the JSON view: their fields remount with the new values.
  const [revision, setRevision] = useState(0);
  const [addType, setAddType] = useState<AgentRuleType>("block_ip");
  const [outcome, setOutcome] = useState<Outcome>({ errors: {}, keys: [] });
  const { run } = useConsoleAction(publishPolicyVersionAction);
  // `await run()` in a transition of its own: a redirect reaches Next's boundary, and `pending` lasts until the new page shows.
  const [pending, startTransition] = useTransition();
  const focusNext = useRef<string | null>(null);
  const summary = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (focusNext.current) document.getElementById(focusNext.current)?.focus();
    focusNext.current = null;
  }, [drafts, mode]);

  useEffect(() => {
    if (outcome.error) summary.current?.focus();
  }, [outcome]);

  const errorAt = (path: string) => outcome.errors[path];
  const rulePath = (key: string) => {
    const index = outcome.keys.indexOf(key);
    return index === -1 ? null : `rules[${index}]`;
  };

  const update = (key: string, change: (draft: RuleDraft) => RuleDraft) => setDrafts((all) => all.map((draft) => (draft.key === key ? change(draft) : draft)));

  const move = (index: number, by: -1 | 1) => {
    const target = index + by;
    const moving = drafts[index]!;
    const next = [...drafts];
    next.splice(index, 1);
    next.splice(target, 0, moving);
    const edge = by === -1 ? target === 0 : target === drafts.length - 1;
    focusNext.current = fieldId(moving.key, edge ? (by === -1 ? "down" : "up") : by === -1 ? "up" : "down");
    setDrafts(next);
  };

  const remove = (index: number) => {
    const next = drafts.filter((_, at) => at !== index);
    const neighbour = next[index] ?? next[index - 1];
    focusNext.current = neighbour ? fieldId(neighbour.key, "remove") : "add-rule-type";
    setDrafts(next);
  };

  const add = () => {
    const key = nextKey();
    focusNext.current = fieldId(key, "type");
    setDrafts([...drafts, { key, type: addType, enabled: true, config: ruleTemplate(addType) }]);
  };

  const showJson = () => {
    setJson(rulesToJson(drafts));
    setJsonError(undefined);
    setMode("json");
    focusNext.current = "rules-json";
  };

  const showForm = () => {
    const parsed = draftsFromJson(json, (index) => drafts[index]?.key ?? nextKey());
    if (!parsed.ok) {
      setJsonError(`${parsed.error} Fix it here to return to the structured editor.`);
      return;
    }
    setDrafts(parsed.value);
    setRevision((value) => value + 1);
    setMode("form");
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    let rules: unknown = toRuleInputs(drafts);
    if (mode === "json") {
      const parsed = parseJson(json);
      if (!parsed.ok) {
        setJsonError(parsed.error);
        return;
      }
      rules = parsed.value;
    }
    const keys = drafts.map((draft) => draft.key);
    startTransition(async () => {
      const result = await run({ name, description, selector, rules: rules as PublishInput["rules"] });
      if (result.data) {
        router.push(`/agent-policy?published=${result.data.version}&pushed=${result.data.pushed}`);
        return;
      }
      const errors = Object.fromEntries(Object.entries(result.fields ?? {}).map(([key, message]) => [toApiPath(key), message]));
      setOutcome({ error: result.error, errors, keys });
    });
  };

  const errorEntries = Object.entries(outcome.errors);
  const staged = selector.trim() !== "";
  const linkFor = (path: string): string | null => {
    if (TOP_FIELDS.includes(path)) return `#policy-${path}`;
    if (mode !== "form") return "#rules-json";
    const match = /^rules\[(\d+)\](?:\.config\.(\w+))?/.exec(path);
    const key = match ? outcome.keys[Number(match[1])] : undefined;
    if (!key || !drafts.some((draft) => draft.key === key)) return null;
    return `#${fieldId(key, match?.[2] ?? "type")}`;
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-6">
      {outcome.error && (
        <div ref={summary} tabIndex={-1} id="publish-errors" className="focus:outline-none">
          <Alert tone="error" title={outcome.error}>
            {errorEntries.length > 0 && (
              <ul className="mt-1 list-disc space-y-0.5 pl-5">
                {errorEntries.map(([path, message]) => {
                  const href = linkFor(path);
                  const text = (
                    <>
                      <code className="font-mono text-xs">{path}</code>: {message}
                    </>
                  );
                  return (
                    <li key={path}>
                      {href ? (
                        <a href={href} className="underline underline-offset-2">
                          {text}
                        </a>
                      ) : (
                        text
                      )}
                    </li>
                  );
                })}
              </ul>
            )}
          </Alert>
        </div>
      )}

      <div className="grid gap-4 sm:grid-cols-2">
        <Field id="policy-name" label="Name" error={errorAt("name")}>
          <Input
            id="policy-name"
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-required
            aria-invalid={errorAt("name") ? true : undefined}
            aria-describedby={errorAt("name") ? "policy-name-error" : undefined}
            maxLength={200}
          />
        </Field>
        <Field id="policy-description" label="Description (optional)" error={errorAt("description")}>
          <Input
            id="policy-description"
            value={description}
            onChange={(event) => setDescription(event.target.value)}
            aria-invalid={errorAt("description") ? true : undefined}
            aria-describedby={errorAt("description") ? "policy-description-error" : undefined}
            maxLength={2000}
          />
        </Field>
      </div>

      <Field
        id="policy-selector"
        label="Roll out first to agents matching (optional)"
        hint="A label selector: key=value, key!=value, key in (a,b) or key notin (a,b), joined by commas, all of which must hold. For example ring=canary. Leave it empty to publish to the whole fleet."
        error={errorAt("selector")}
      >
        <Input
          id="policy-selector"
          value={selector}
          onChange={(event) => setSelector(event.target.value)}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={errorAt("selector") ? true : undefined}
          aria-describedby={errorAt("selector") ? "policy-selector-error" : "policy-selector-hint"}
          maxLength={1000}
          className="font-mono sm:max-w-md"
        />
      </Field>

      <section aria-labelledby="rules-heading" className="space-y-4">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 id="rules-heading" className="text-base font-semibold text-slate-900">
            Rules
          </h2>
          <div role="group" aria-label="Editor view" className="inline-flex rounded-md ring-1 ring-slate-300">
            <Button variant={mode === "form" ? "primary" : "ghost"} size="sm" aria-pressed={mode === "form"} onClick={() => mode === "json" && showForm()} className="rounded-r-none shadow-none">
              Structured
            </Button>
            <Button variant={mode === "json" ? "primary" : "ghost"} size="sm" aria-pressed={mode === "json"} onClick={() => mode === "form" && showJson()} className="rounded-l-none shadow-none">
              JSON
            </Button>
          </div>
        </div>
        {errorAt("rules") && (
          <p id="rules-error" className="text-sm font-medium text-red-700">
            {errorAt("rules")}
          </p>
        )}

        {mode === "json" ? (
          <Field id="rules-json" label="Rules as JSON" hint="The rules array, exactly as POST /api/policy takes it." error={jsonError}>
            <Textarea
              id="rules-json"
              value={json}
              onChange={(event) => {
                setJson(event.target.value);
                setJsonError(undefined);
              }}
              rows={Math.min(30, Math.max(10, json.split("\n").length + 1))}
              spellCheck={false}
              className="font-mono text-xs"
              aria-invalid={jsonError ? true : undefined}
              aria-describedby={jsonError ? "rules-json-error" : "rules-json-hint"}
            />
          </Field>
        ) : (
          <>
            {drafts.length === 0 && <p className="rounded-md border border-dashed border-slate-300 p-4 text-sm text-slate-600">No rules yet. A version needs at least one.</p>}
            <ol className="space-y-4" aria-label="Rules">
              {drafts.map((draft, index) => {
                const path = rulePath(draft.key);
                const ruleErrors = path ? RULE_LEVEL.map((suffix) => errorAt(path + suffix)).filter(Boolean) : [];
                const position = index + 1;
                return (
                  <li key={`${draft.key}:${revision}`}>
                    <fieldset className="rounded-lg border border-slate-200 bg-slate-50/60 p-4" aria-describedby={ruleErrors.length > 0 ? fieldId(draft.key, "errors") : undefined}>
                      <legend className="px-1 text-sm font-semibold text-slate-900">
                        Rule {position}: {RULE_TYPE_LABELS[draft.type]}
                      </legend>
                      <div className="flex flex-wrap items-end gap-3">
                        <div className="min-w-40 flex-1 space-y-1.5">
                          <label htmlFor={fieldId(draft.key, "type")} className="block text-sm font-medium text-slate-800">
                            Type
                          </label>
                          <Select
                            id={fieldId(draft.key, "type")}
                            value={draft.type}
                            onChange={(event) => {
                              const type = event.target.value as AgentRuleType;
                              update(draft.key, (current) => ({ ...current, type, config: ruleTemplate(type) }));
                            }}
                          >
                            {RULE_TYPES.map((type) => (
                              <option key={type} value={type}>
                                {RULE_TYPE_LABELS[type]} ({type})
                              </option>
                            ))}
                          </Select>
                        </div>
                        <div className="flex items-center gap-2 pb-2">
                          <input
                            id={fieldId(draft.key, "enabled")}
                            type="checkbox"
                            checked={draft.enabled}
                            onChange={(event) => update(draft.key, (current) => ({ ...current, enabled: event.target.checked }))}
                            className="size-4 accent-indigo-600"
                          />
                          <label htmlFor={fieldId(draft.key, "enabled")} className="text-sm font-medium text-slate-800">
                            Enabled
                          </label>
                        </div>
                        <div className="flex gap-1.5">
                          <Button id={fieldId(draft.key, "up")} variant="secondary" size="sm" disabled={index === 0} onClick={() => move(index, -1)} aria-label={`Move rule ${position} up`}>
                            Up
                          </Button>
                          <Button
                            id={fieldId(draft.key, "down")}
                            variant="secondary"
                            size="sm"
                            disabled={index === drafts.length - 1}
                            onClick={() => move(index, 1)}
                            aria-label={`Move rule ${position} down`}
                          >
                            Down
                          </Button>
                          <Button id={fieldId(draft.key, "remove")} variant="secondary" size="sm" onClick={() => remove(index)} aria-label={`Remove rule ${position}`}>
                            Remove
                          </Button>
                        </div>
                      </div>
                      {ruleErrors.length > 0 && (
                        <ul id={fieldId(draft.key, "errors")} className="mt-3 space-y-0.5 text-xs font-medium text-red-700">
                          {ruleErrors.map((message) => (
                            <li key={message}>{message}</li>
                          ))}
                        </ul>
                      )}
                      <div className="mt-4 grid gap-4 sm:grid-cols-2">
                        {RULE_FIELDS[draft.type].map((spec) => (
                          <RuleField
                            key={`${draft.type}.${spec.name}`}
                            id={fieldId(draft.key, spec.name)}
                            spec={spec}
                            value={draft.config[spec.name]}
                            error={path ? errorAt(`${path}.config.${spec.name}`) : undefined}
                            onChange={(value) => update(draft.key, (current) => ({ ...current, config: { ...current.config, [spec.name]: value } }))}
                          />
                        ))}
                      </div>
                    </fieldset>
                  </li>
                );
              })}
            </ol>
            <div className="flex flex-wrap items-end gap-2">
              <div className="space-y-1.5">
                <label htmlFor="add-rule-type" className="block text-sm font-medium text-slate-800">
                  New rule type
                </label>
                <Select id="add-rule-type" value={addType} onChange={(event) => setAddType(event.target.value as AgentRuleType)}>
                  {RULE_TYPES.map((type) => (
                    <option key={type} value={type}>
                      {RULE_TYPE_LABELS[type]}
                    </option>
                  ))}
                </Select>
              </div>
              <Button variant="secondary" onClick={add}>
                Add rule
              </Button>
            </div>
          </>
        )}
      </section>

      <div className="flex flex-wrap items-center gap-3 border-t border-slate-200 pt-4">
        <Button type="submit" disabled={pending}>
          {pending ? "Publishing…" : `Publish ${nextVersion}`}
        </Button>
        <p className="text-sm text-slate-600">
          {staged
            ? "It applies only to the agents the selector matches, and is pushed to those connected, until you promote it to the whole fleet or abort it."
            : "It becomes active at once and is pushed to every connected agent."}
        </p>
      </div>
    </form>
  );
}
