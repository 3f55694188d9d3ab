import { z } from "zod";

// One wording for a missing field everywhere (API 422s and console forms), instead of zod's
// "Invalid input: expected string, received undefined". Imported by every parsing entry point.
// In the browser, no compiled parsers: zod would probe for `new Function`, which the console's CSP refuses (and reports).
z.config({
  customError: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined),
  jitless: typeof window !== "undefined",
});

/** The deepest nesting any request body may have. Free-form fields have tighter limits of their own. */
export const MAX_REQUEST_DEPTH = 32;

export type JsonPath = (string | number)[];

/** A problem with a value before any schema sees it: where it is, and what is wrong. */
export interface UnsafeInput {
  path: JsonPath;
  message: string;
}

const UNSAFE_TEXT_MESSAGE = "must not contain NUL characters or unpaired UTF-16 surrogates";

/**
 * PostgreSQL refuses NUL in text (error 22021) and an unpaired surrogate cannot be encoded as UTF-8: either would
 * turn a request into a 500, or poison a batched write. Such text is refused at the door instead.
 */
export function isStorableText(text: string): boolean {
  return !text.includes("\u0000") && text.isWellFormed();
}

/**
 * Walks a parsed request (a JSON body, a query string, a form) without recursion, so no input can exhaust the
 * stack, and reports the first key or string that cannot be stored, or nesting deeper than `maxDepth`.
 */
export function findUnsafeInput(value: unknown, maxDepth = MAX_REQUEST_DEPTH): UnsafeInput | null {
  const stack: { value: unknown; path: JsonPath }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === "string") {
      if (!isStorableText(current)) return { path, message: UNSAFE_TEXT_MESSAGE };
      continue;
    }
    if (current === null || typeof current !== "object") continue;
    if (path.length >= maxDepth) return { path, message: `is nested too deeply (at most ${maxDepth} levels)` };
    if (Array.isArray(current)) {
      current.forEach((item, index) => stack.push({ value: item, path: [...path, index] }));
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      if (!isStorableText(key)) return { path: [...path, key], message: `has a key that ${UNSAFE_TEXT_MESSAGE}` };
      stack.push({ value: item, path: [...path, key] });
    }
  }
  return null;
}

/**
 * A free-form JSON object (such as a custom rule's `params`): bounded in depth and in size, so one field can
 * neither exhaust a recursive consumer nor bloat every stream frame and audit row that carries it.
 */
export function boundedJsonObject({ maxDepth, maxBytes }: { maxDepth: number; maxBytes: number }) {
  return z.record(z.string(), z.unknown()).superRefine((value, context) => {
    const problem = findUnsafeInput(value, maxDepth);
    if (problem) {
      context.addIssue({ code: "custom", path: problem.path, message: problem.message });
      return;
    }
    const bytes = new TextEncoder().encode(JSON.stringify(value)).byteLength;
    if (bytes > maxBytes) context.addIssue({ code: "custom", message: `must be at most ${maxBytes} bytes as JSON (got ${bytes})` });
  });
}

// C0 and C1 control characters, and the invisible formatting characters that reorder or hide text
// (bidi embeddings, overrides and isolates, zero-width characters, the BOM): in a name they let one
// thing pose as another ("gpj.exe" shown as "exe.jpg").
const CONTROL = "\\u0000-\\u001F\\u007F-\\u009F";
const INVISIBLE = "\\u061C\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF";
const SINGLE_LINE_FORBIDDEN = new RegExp(`[${CONTROL}${INVISIBLE}]`);
// Multi-line text keeps tab, line feed and carriage return (browsers submit a textarea's lines as CRLF).
const MULTI_LINE_FORBIDDEN = new RegExp(`[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F${INVISIBLE}]`);

/**
 * A single-line name shown to people (a hostname, a policy name, a label): trimmed, and refused when it holds
 * control or bidi/invisible formatting characters, so nobody can spoof what the console displays.
 */
export function plainName({ min = 1, max }: { min?: number; max: number }) {
  return z
    .string()
    .trim()
    .min(min, min === 1 ? "must not be empty" : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine((text) => !SINGLE_LINE_FORBIDDEN.test(text), "must not contain control characters or invisible formatting (bidi) characters");
}

/** Free text that may span lines (a description): tabs and newlines are kept, other controls and bidi characters refused. */
export function plainText({ max }: { max: number }) {
  return z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((text) => !MULTI_LINE_FORBIDDEN.test(text), "must not contain control characters other than tabs and line breaks, or invisible formatting (bidi) characters");
}

/** A query-string flag: exactly "true" or "false". */
export const booleanQuery = z.enum(["true", "false"], "must be true or false").transform((value) => value === "true");
