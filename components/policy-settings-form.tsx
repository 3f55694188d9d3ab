"use client";

import Link from "next/link";
import { createPolicyAction, updatePolicySettingsAction } from "@/app/(console)/policies/actions";
import type { PolicyKind, SettingsField } from "@/lib/policies/kinds";
import { EnabledOnCreateField, PolicyFormFrame } from "./policy-form-frame";
import { Button, buttonClasses } from "./ui/button";
import { Field, Input, Select, Textarea } from "./ui/field";
import { invalidProps, useConsoleAction } from "./use-console-action";

export interface PolicySettingsFormProps {
  kind: PolicyKind;
  /** The kind's settings fields, read from its schema on the server (lib/policies/kinds.ts). */
  fields: SettingsField[];
  /** The template's name and description for a new policy, or the policy being edited. */
  initial: { id?: string; name: string; description: string; settings?: Record<string, unknown> };
}

/** The first error of a settings field, or of any item of it (a list's line). */
function settingError(errors: Record<string, string> | undefined, name: string): string | undefined {
  if (!errors) return undefined;
  const key = `settings.${name}`;
  const found = Object.entries(errors).find(([path]) => path === key || path.startsWith(`${key}.`));
  if (!found) return undefined;
  const [path, message] = found;
  const line = path.slice(key.length + 1);
  return line ? `Line ${Number(line) + 1}: ${message}` : message;
}

function readSettings(form: FormData, fields: SettingsField[]): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const field of fields) {
    const raw = form.get(`setting-${field.name}`);
    if (field.control === "boolean") settings[field.name] = raw === "on";
    else if (field.control === "lines") settings[field.name] = String(raw ?? "").split("\n").map((line) => line.trim()).filter(Boolean);
    else if (field.control === "integer") settings[field.name] = raw === "" || raw === null ? undefined : Number(raw);
    else settings[field.name] = String(raw ?? "");
  }
  return settings;
}

/**
 * A policy of a kind, new or edited: its name, description and the settings form generated from the kind's schema,
 * with each setting's error beside it. The rules are generated from the settings, so they are not edited here.
 */
export function PolicySettingsForm({ kind, fields, initial }: PolicySettingsFormProps) {
  const editing = initial.id !== undefined;
  const create = useConsoleAction(createPolicyAction);
  const update = useConsoleAction(updatePolicySettingsAction);
  const { state, pending } = editing ? update : create;
  const errors = state.fields;

  const submit = (form: HTMLFormElement) => {
    const data = new FormData(form);
    const common = { name: String(data.get("name") ?? ""), description: String(data.get("description") ?? ""), settings: readSettings(data, fields) };
    if (initial.id !== undefined) update.run({ ...common, id: initial.id });
    else create.run({ ...common, kind, enabled: data.get("enabled") === "on" });
  };

  const current = (name: string) => initial.settings?.[name];
  return (
    <PolicyFormFrame title={editing ? "Edit policy settings" : "New policy from template"} error={state.error} onSubmit={submit}>
      <div className="grid gap-5 sm:grid-cols-2">
        <Field id="name" label="Name" error={errors?.name}>
          <Input id="name" name="name" required maxLength={200} defaultValue={initial.name} {...invalidProps(errors, "name")} />
        </Field>
        {!editing && (
          <EnabledOnCreateField label="Enabled (enforced) once created" />
        )}
      </div>
      <Field id="description" label="Description" error={errors?.description}>
        <Textarea id="description" name="description" rows={2} maxLength={2000} defaultValue={initial.description} {...invalidProps(errors, "description")} />
      </Field>

      <fieldset className="space-y-5 border-t border-slate-200 pt-5">
        <legend className="text-sm font-semibold text-slate-900">Settings</legend>
        {fields.map((field) => {
          const id = `setting-${field.name}`;
          const error = settingError(errors, field.name);
          const invalid = error ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {};
          if (field.control === "boolean") {
            return (
              <div key={field.name}>
                <div className="flex items-center gap-2">
                  <input id={id} name={id} type="checkbox" defaultChecked={(current(field.name) as boolean | undefined) ?? field.defaultValue} className="h-4 w-4 rounded border-slate-300 text-indigo-600" aria-describedby={`${id}-hint`} />
                  <label htmlFor={id} className="text-sm font-medium text-slate-800">
                    {field.label}
                  </label>
                </div>
                {field.hint && (
                  <p id={`${id}-hint`} className="mt-1 text-xs text-slate-600">
                    {field.hint}
                  </p>
                )}
              </div>
            );
          }
          return (
            <Field key={field.name} id={id} label={field.label} hint={field.control === "integer" ? `${field.hint ?? ""} From ${field.min} to ${field.max}.`.trim() : field.hint} error={error}>
              {field.control === "integer" && (
                <Input id={id} name={id} type="number" inputMode="numeric" min={field.min} max={field.max} step={1} defaultValue={String(current(field.name) ?? field.defaultValue)} {...invalid} />
              )}
              {field.control === "choice" && (
                <Select id={id} name={id} defaultValue={String(current(field.name) ?? field.defaultValue)} {...invalid}>
                  {field.choices.map((choice) => (
                    <option key={choice.value} value={choice.value}>
                      {choice.label}
                    </option>
                  ))}
                </Select>
              )}
              {field.control === "lines" && (
                <Textarea id={id} name={id} rows={5} spellCheck={false} defaultValue={((current(field.name) as string[] | undefined) ?? []).join("\n")} className="font-mono" {...invalid} />
              )}
            </Field>
          );
        })}
      </fieldset>

      <div className="flex flex-wrap gap-2 border-t border-slate-200 pt-5">
        <Button type="submit" disabled={pending}>
          {pending ? "Saving…" : editing ? "Save settings" : "Create policy"}
        </Button>
        <Link href={initial.id !== undefined ? `/policies/${encodeURIComponent(initial.id)}` : "/policies/new"} className={buttonClasses("secondary")}>
          Cancel
        </Link>
      </div>
    </PolicyFormFrame>
  );
}
