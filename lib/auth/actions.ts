import { unstable_rethrow } from "next/navigation";
import type { z } from "zod";
import { recordFailure, type Actor } from "@/lib/audit/log";
import { isDatabaseUnreachable } from "@/db";
import type { User } from "@/db/schema";
import type { AuditAction } from "@/lib/audit/actions";
import type { Role } from "@/lib/users/roles";
import { ApprovalRequired, describeChange } from "@/lib/change-requests/gate";
import { ApiError } from "@/lib/errors";
import { fieldErrors, type FormState } from "@/lib/forms";
import { logError } from "@/lib/log";
import { findUnsafeInput } from "@/lib/validation";
import { requireUser, type SessionUser } from "./session";

/** A service's field errors (located in the API's terms, `["body", "settings", "minLength"]`) as a form's. */
function formFields(error: ApiError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const field of error.fields) fields[field.loc.slice(1).map(String).join(".") || "form"] ??= field.msg;
  return fields;
}

/** What a console user reads while the database is down or restarting: no claim about the change, which may be unknown. */
export const DATABASE_UNREACHABLE = "Palisade cannot reach its database right now. Try again in a moment.";

export interface ActionContext {
  user: User;
  actor: Actor;
  session: SessionUser;
}

/**
 * Wraps a console server action: checks the session and role again (never trusting the page that rendered
 * the form), validates the input with zod, and turns failures into a message instead of an error page.
 * Accepts FormData from a <form>, or a plain object from code. A refusal for want of the role is audited
 * as `audit(input)` says, when the action gives one.
 */
export function consoleAction<S extends z.ZodType, T = undefined>(
  options: {
    role: Role;
    schema: S;
    audit?: (input: z.output<S>) => { action: AuditAction; resource: string };
    /** Also for a session that must enrol a second factor first (the enrolment's own actions). */
    allowEnrollment?: boolean;
  },
  run: (input: z.output<S>, context: ActionContext) => Promise<FormState<T>>,
) {
  return async (_previous: FormState<T> | undefined, raw: FormData | z.input<S>): Promise<FormState<T>> => {
    try {
      const { user, actor, session } = await requireUser({ allowEnrollment: options.allowEnrollment });
      const input: unknown = raw instanceof FormData ? Object.fromEntries(raw) : raw;
      const unsafe = findUnsafeInput(input);
      if (unsafe) return { error: "Check the highlighted fields.", fields: { [unsafe.path.map(String).join(".") || "form"]: `This field ${unsafe.message}` } };
      const parsed = options.schema.safeParse(input);
      if (!parsed.success) return { error: "Check the highlighted fields.", fields: fieldErrors(parsed.error) };
      if (options.role === "admin" && user.role !== "admin") {
        if (options.audit) {
          await recordFailure(actor, { ...options.audit(parsed.data), details: `Refused: the ${user.role} role cannot do this` });
        }
        return { error: "Not authorized: only admins can do this." };
      }
      return await run(parsed.data, { user, actor, session });
    } catch (error) {
      // redirect() and notFound() work by throwing: they must reach Next.js, not become an error message.
      unstable_rethrow(error);
      if (error instanceof ApprovalRequired) return { error: `Four-eyes approval is on: a change request to ${describeChange(error.request)} was filed. Another admin must approve it under Changes awaiting approval.` };
      if (error instanceof ApiError && error.fields.length > 0) return { error: "Check the highlighted fields.", fields: formFields(error) };
      if (error instanceof ApiError) return { error: error.message };
      logError("console action", error);
      // Reading the session needs the database too, so this is checked for the whole action, not only its change.
      if (isDatabaseUnreachable(error)) return { error: DATABASE_UNREACHABLE };
      return { error: "Something went wrong. The change was not saved." };
    }
  };
}
