"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { createPolicyAction, updatePolicyAction } from "@/app/(console)/policies/actions";
import { POLICY_TYPES, type PolicyType } from "@/lib/policies/constants";
import { POLICY_TYPE_LABELS } from "./policy-labels";
import { EnabledOnCreateField, PolicyFormFrame } from "./policy-form-frame";
import { Button, buttonClasses } from "./ui/button";
import { Field, Input, Select, Textarea } from "./ui/field";
import { invalidProps, useConsoleAction } from "./use-console-action";

export interface PolicyFormValues {
  id: string;
  name: string;
  description: string;
  type: PolicyType;
  rules: string[];
}

/** A rule being edited, with a key that stays with it while rules move, so inputs keep their focus and text. */
interface RuleDraft {
  key: number;
  text: string;
}

/**
 * Creates a custom policy (`initial` absent) or edits one. Rules are a list: add, remove, and move up or
 * down with buttons, so reordering needs no drag and works from the keyboard.
 */
export function PolicyForm({ initial }: { initial?: PolicyFormValues }) {
  const editing = initial !== undefined;
  const create = useConsoleAction(createPolicyAction);
  const update = useConsoleAction(updatePolicyAction);
  const { state, pending } = editing ? update : create;
  const [rules, setRules] = useState<RuleDraft[]>(() => (initial?.rules.length ? initial.rules : [""]).map((text, key) => ({ key, text })));
  // The id of the control to focus once the list has re-rendered: a rule just added, or a moved rule's button
  // (React may re-insert a moved element, which drops its focus).
  const focusAfterRender = useRef<string | null>(null);

  useEffect(() => {
    const id = focusAfterRender.current;
    focusAfterRender.current = null;
    if (id) document.getElementById(id)?.focus();
  }, [rules]);

  const add = () => {
    const key = rules.reduce((max, rule) => Math.max(max, rule.key), -1) + 1;
    focusAfterRender.current = `rule-${key}`;
    setRules([...rules, { key, text: "" }]);
  };

  const move = (index: number, by: -1 | 1) => {
    const next = [...rules];
    const [moved] = next.splice(index, 1);
    if (!moved) return;
    next.splice(index + by, 0, moved);
    // Keep focus on the button that was pressed, or on the other one when the rule reached that end (and the
    // pressed button is now disabled).
    const reachedEnd = by < 0 ? index + by === 0 : index + by === next.length - 1;
    const pressed = by < 0 ? "up" : "down";
    const other = by < 0 ? "down" : "up";
    focusAfterRender.current = `rule-${moved.key}-${reachedEnd ? other : pressed}`;
    setRules(next);
  };

  const remove = (index: number) => {
    const neighbour = rules[index + 1] ?? rules[index - 1];
    if (neighbour) focusAfterRender.current = `rule-${neighbour.key}`;
    setRules(rules.filter((_, position) => position !== index));
  };

  const submit = (form: HTMLFormElement) => {
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? "");
    const values = { name: text("name"), description: text("description"), type: text("type") as PolicyType, rules: rules.map((rule) => rule.text) };
    if (editing) {
      update.run({ ...values, id: initial.id });
      return;
    }
    const id = text("id").trim();
    create.run({ ...values, enabled: data.get("enabled") === "on", ...(id ? { id } : {}) });
  };

  const fields = state.fields;
  const rulesError = fields?.rules;
  return (
    <PolicyFormFrame title={editing ? "Edit policy" : "New policy"} error={state.error} onSubmit={submit}>
      <div className="grid gap-5 sm:grid-cols-2">
        <Field id="name" label="Name" error={fields?.name}>
          <Input id="name" name="name" required maxLength={200} defaultValue={initial?.name} {...invalidProps(fields, "name")} />
        </Field>
        <Field id="type" label="Type" error={fields?.type}>
          <Select id="type" name="type" defaultValue={initial?.type ?? "access"} {...invalidProps(fields, "type")}>
            {POLICY_TYPES.map((type) => (
              <option key={type} value={type}>
                {POLICY_TYPE_LABELS[type]}
              </option>
            ))}
          </Select>
        </Field>
      </div>
      <Field id="description" label="Description" error={fields?.description}>
        <Textarea id="description" name="description" rows={3} maxLength={2000} defaultValue={initial?.description} {...invalidProps(fields, "description")} />
      </Field>
      {!editing && (
        <div className="grid gap-5 sm:grid-cols-2">
          <Field id="id" label="Policy ID (optional)" hint="Lowercase letters, digits and hyphens. Leave blank to generate one from the name." error={fields?.id}>
            <Input id="id" name="id" maxLength={64} placeholder="pol-block-usb-storage" spellCheck={false} aria-describedby="id-hint" {...invalidProps(fields, "id")} />
          </Field>
          <EnabledOnCreateField label="Enabled once created" />
        </div>
      )}

      <fieldset className="space-y-3">
        <legend className="text-sm font-medium text-slate-800">Rules</legend>
        <p className="text-xs text-slate-600">Each rule is one enforcement action, in order. At least one, at most 100.</p>
        {rulesError && (
          <p id="rules-error" className="text-xs font-medium text-red-700">
            {rulesError}
          </p>
        )}
        <ol className="space-y-2" aria-label="Rules">
          {rules.map((rule, index) => {
            const inputId = `rule-${rule.key}`;
            const error = fields?.[`rules.${index}`];
            const position = `Rule ${index + 1}`;
            return (
              <li key={rule.key} className="flex flex-wrap items-start gap-2">
                <span className="w-6 pt-2 text-right text-sm tabular-nums text-slate-600" aria-hidden="true">
                  {index + 1}.
                </span>
                <div className="min-w-0 flex-1 basis-48">
                  <label htmlFor={inputId} className="sr-only">
                    {position}
                  </label>
                  <Input
                    id={inputId}
                    value={rule.text}
                    maxLength={500}
                    onChange={(event) => {
                      const text = event.target.value;
                      setRules((current) => current.map((item) => (item.key === rule.key ? { ...item, text } : item)));
                    }}
                    {...(error ? { "aria-invalid": true, "aria-describedby": `${inputId}-error` } : {})}
                  />
                  {error && (
                    <p id={`${inputId}-error`} className="mt-1 text-xs font-medium text-red-700">
                      {error}
                    </p>
                  )}
                </div>
                <div className="flex gap-1">
                  <Button id={`${inputId}-up`} variant="ghost" size="sm" aria-label={`Move ${position.toLowerCase()} up`} disabled={index === 0} onClick={() => move(index, -1)}>
                    ↑
                  </Button>
                  <Button
                    id={`${inputId}-down`}
                    variant="ghost"
                    size="sm"
                    aria-label={`Move ${position.toLowerCase()} down`}
                    disabled={index === rules.length - 1}
                    onClick={() => move(index, 1)}
                  >
                    ↓
                  </Button>
                  <Button
                    variant="ghost"
                    size="sm"
                    aria-label={`Remove ${position.toLowerCase()}`}
                    disabled={rules.length === 1}
                    onClick={() => remove(index)}
                  >
                    Remove
                  </Button>
                </div>
              </li>
            );
          })}
        </ol>
        <Button
          variant="secondary"
          size="sm"
          disabled={rules.length >= 100}
          onClick={add}
        >
          Add rule
        </Button>
      </fieldset>

      <div className="flex flex-wrap gap-2 border-t border-slate-200 pt-5">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : editing ? "Save changes" : "Create policy"}
        </Button>
        <Link href={editing ? `/policies/${encodeURIComponent(initial.id)}` : "/policies"} className={buttonClasses("secondary")}>
          Cancel
        </Link>
      </div>
    </PolicyFormFrame>
  );
}
