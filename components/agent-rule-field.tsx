"use client";

import { useState } from "react";
import { parseJson } from "./agent-rule-draft";
import type { FieldSpec } from "./agent-rule-types";
import { Field, Input, Select, Textarea } from "./ui/field";

export interface RuleFieldProps {
  id: string;
  spec: FieldSpec;
  value: unknown;
  onChange: (value: unknown) => void;
  error?: string;
  /** Overrides: an empty field keeps each rule's own value, and is left out. */
  inherit?: boolean;
}

/** Any value as editable text: strings as they are, anything else as JSON. */
function asText(value: unknown): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function listText(value: unknown): string {
  return Array.isArray(value) && value.every((item) => typeof item === "string") ? value.join(", ") : asText(value);
}

function jsonText(value: unknown): string {
  if (value === undefined || typeof value === "string") return asText(value);
  return JSON.stringify(value, null, 2);
}

/** A typed number becomes a number; anything else is sent as typed, for the server to name. */
function parseNumber(text: string): unknown {
  if (text.trim() === "") return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : text;
}

/**
 * One config field of a rule, for the structured editors. Numbers, lists and JSON keep the text being typed
 * ("0.", "a, ") and report its parsed value; the editor remounts the field when the value is replaced from
 * elsewhere (the JSON view).
 */
export function RuleField({ id, spec, value, onChange, error, inherit = false }: RuleFieldProps) {
  const { input } = spec;
  const [text, setText] = useState(() => (input.kind === "list" ? listText(value) : input.kind === "json" ? jsonText(value) : asText(value)));
  const jsonProblem = input.kind === "json" && text.trim() !== "" && !parseJson(text).ok ? "must be a JSON object, e.g. {\"port\": 22}" : undefined;
  const shownError = jsonProblem ?? error;
  const describedBy = shownError ? `${id}-error` : `${id}-hint`;
  const hint = inherit ? `${spec.hint} Leave empty to keep each rule's value.` : spec.hint;
  const common = { id, "aria-invalid": shownError ? true : undefined, "aria-describedby": describedBy } as const;
  const label = spec.optional && !inherit ? `${spec.label} (optional)` : spec.label;

  const typed = (next: string, parse: (text: string) => unknown) => {
    setText(next);
    onChange(parse(next));
  };

  if (input.kind === "boolean" && !inherit) {
    return (
      <div className="space-y-1.5">
        <div className="flex items-center gap-2">
          <input
            type="checkbox"
            {...common}
            checked={value === true}
            onChange={(event) => onChange(event.target.checked)}
            className="size-4 accent-indigo-600"
          />
          <label htmlFor={id} className="text-sm font-medium text-slate-800">
            {label}
          </label>
        </div>
        {shownError ? (
          <p id={`${id}-error`} className="text-xs font-medium text-red-700">
            {shownError}
          </p>
        ) : (
          <p id={`${id}-hint`} className="text-xs text-slate-500">
            {hint}
          </p>
        )}
      </div>
    );
  }

  let control;
  switch (input.kind) {
    case "boolean":
      control = (
        <Select {...common} value={value === true ? "true" : value === false ? "false" : ""} onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value === "true")}>
          <option value="">Keep each rule&apos;s value</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </Select>
      );
      break;
    case "select": {
      const current = typeof value === "string" ? value : "";
      // A value the editor does not offer (typed in the JSON view) is shown as it is, for the server to refuse.
      const unknown = current !== "" && !input.options.includes(current);
      control = (
        <Select {...common} value={current} onChange={(event) => onChange(event.target.value === "" ? undefined : event.target.value)}>
          {(inherit || current === "") && <option value="">{inherit ? "Keep each rule's value" : "Choose…"}</option>}
          {unknown && <option value={current}>{current}</option>}
          {input.options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </Select>
      );
      break;
    }
    case "number":
      control = <Input {...common} inputMode="decimal" value={text} onChange={(event) => typed(event.target.value, parseNumber)} className="max-w-40" />;
      break;
    case "list":
      control = (
        <Input
          {...common}
          value={text}
          onChange={(event) =>
            typed(event.target.value, (next) =>
              next.trim() === "" && inherit ? undefined : next.split(",").map((item) => item.trim()).filter((item) => item !== ""),
            )
          }
        />
      );
      break;
    case "json":
      control = (
        <Textarea
          {...common}
          rows={3}
          spellCheck={false}
          value={text}
          className="font-mono"
          onChange={(event) =>
            typed(event.target.value, (next) => {
              if (next.trim() === "") return undefined;
              const parsed = parseJson(next);
              return parsed.ok ? parsed.value : next;
            })
          }
        />
      );
      break;
    case "text": {
      const current = asText(value);
      const change = (next: string) => onChange(inherit && next === "" ? undefined : next);
      control = input.multiline ? (
        <Textarea {...common} rows={2} value={current} onChange={(event) => change(event.target.value)} />
      ) : (
        <Input {...common} value={current} onChange={(event) => change(event.target.value)} />
      );
      break;
    }
  }

  return (
    <Field id={id} label={label} hint={hint} error={shownError}>
      {control}
    </Field>
  );
}
