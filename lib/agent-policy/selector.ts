import { z } from "zod";

/**
 * Label selectors, as a staged rollout targets agents: `key=value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`,
 * joined by commas, all of which must hold. As in Kubernetes, `!=` and `notin` also match an agent without the
 * label. Safe for the browser.
 */
export interface LabelRequirement {
  key: string;
  operator: "=" | "!=" | "in" | "notin";
  values: string[];
}

const KEY = "[A-Za-z0-9][A-Za-z0-9._/-]{0,62}";
const SET_FORM = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const EQUALITY_FORM = new RegExp(`^(${KEY})\\s*(!=|==|=)\\s*([^()!=]*)$`);
const MAX_REQUIREMENTS = 20;

/** Splits at the commas outside parentheses. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === "," && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

function parseRequirement(part: string): LabelRequirement | null {
  const set = SET_FORM.exec(part);
  if (set) {
    const values = set[3]!.split(",").map((value) => value.trim());
    return values.some((value) => value === "") ? null : { key: set[1]!, operator: set[2] as "in" | "notin", values };
  }
  const equality = EQUALITY_FORM.exec(part);
  if (!equality) return null;
  return { key: equality[1]!, operator: equality[2] === "!=" ? "!=" : "=", values: [equality[3]!] };
}

/** The selector's requirements, or why it is not one. */
export function parseSelector(text: string): { requirements: LabelRequirement[] } | { error: string } {
  const parts = splitRequirements(text);
  if (parts.length > MAX_REQUIREMENTS) return { error: `at most ${MAX_REQUIREMENTS} requirements` };
  const requirements: LabelRequirement[] = [];
  for (const [index, part] of parts.entries()) {
    const requirement = parseRequirement(part);
    if (!requirement) return { error: `"${part}" (requirement ${index + 1}) is not key=value, key!=value, key in (a,b) or key notin (a,b)` };
    requirements.push(requirement);
  }
  return { requirements };
}

/** One spelling per selector: what is stored, shown and compared. */
export function formatSelector(requirements: LabelRequirement[]): string {
  return requirements
    .map(({ key, operator, values }) => (operator === "=" || operator === "!=" ? `${key}${operator}${values[0]}` : `${key} ${operator} (${values.join(",")})`))
    .join(",");
}

export function matchesSelector(requirements: LabelRequirement[], labels: Record<string, string>): boolean {
  return requirements.every(({ key, operator, values }) => {
    const value = Object.hasOwn(labels, key) ? labels[key] : undefined;
    const listed = value !== undefined && values.includes(value);
    return operator === "=" || operator === "in" ? listed : !listed;
  });
}

/** A selector as the API and the console take it: parsed, then in its one spelling. */
export const labelSelectorSchema = z
  .string("must be a label selector such as ring=canary")
  .max(1000, "must be at most 1000 characters")
  .transform((text, context) => {
    const parsed = parseSelector(text);
    if ("error" in parsed) {
      context.addIssue({ code: "custom", message: parsed.error });
      return z.NEVER;
    }
    return formatSelector(parsed.requirements);
  });

/** Requirements of a selector already stored in its one spelling. */
export function storedRequirements(selector: string): LabelRequirement[] {
  const parsed = parseSelector(selector);
  if ("error" in parsed) throw new Error(`stored selector does not parse: ${parsed.error}`);
  return parsed.requirements;
}

const parsedSelectors = new Map<string, LabelRequirement[]>();

/** Whether a stored selector matches the labels; a fleet holds few selectors, so each is parsed once. */
export function selects(selector: string, labels: Record<string, string>): boolean {
  let requirements = parsedSelectors.get(selector);
  if (!requirements) {
    requirements = storedRequirements(selector);
    if (parsedSelectors.size > 1000) parsedSelectors.clear();
    parsedSelectors.set(selector, requirements);
  }
  return matchesSelector(requirements, labels);
}
