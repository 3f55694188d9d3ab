import type { z } from "zod";

/** What a console form's server action returns: a message, per-field errors, and anything to show once. */
export interface FormState<T = undefined> {
  error?: string;
  fields?: Record<string, string>;
  success?: string;
  data?: T;
}

/** The first message for each top-level field, for showing beside the inputs. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".") || "form";
    fields[key] ??= issue.message;
  }
  return fields;
}
