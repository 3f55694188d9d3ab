import { unstable_rethrow } from "next/navigation";
import type { z } from "zod";
import "@/lib/validation";
import type { Actor } from "@/db/queries/audit-logs";
import type { Role, User } from "@/db/schema";
import { ApiError } from "@/lib/errors";
import { fieldErrors, type FormState } from "@/lib/forms";
import { logError } from "@/lib/log";
import { requireUser } from "./session";

export interface ActionContext {
  user: User;
  actor: Actor;
}

/**
 * Wraps a console server action: checks the session and role again (never trusting the page that rendered
 * the form), validates the input with zod, and turns failures into a message instead of an error page.
 * Accepts FormData from a <form>, or a plain object from code.
 */
export function consoleAction<S extends z.ZodType, T = undefined>(
  options: { role: Role; schema: S },
  run: (input: z.output<S>, context: ActionContext) => Promise<FormState<T>>,
) {
  return async (_previous: FormState<T> | undefined, raw: FormData | z.input<S>): Promise<FormState<T>> => {
    const { user, actor } = await requireUser();
    if (options.role === "admin" && user.role !== "admin") return { error: "Not authorized: only admins can do this." };
    const parsed = options.schema.safeParse(raw instanceof FormData ? Object.fromEntries(raw) : raw);
    if (!parsed.success) return { error: "Check the highlighted fields.", fields: fieldErrors(parsed.error) };
    try {
      return await run(parsed.data, { user, actor });
    } catch (error) {
      // redirect() and notFound() work by throwing: they must reach Next.js, not become an error message.
      unstable_rethrow(error);
      if (error instanceof ApiError) return { error: error.message };
      logError("console action", error);
      return { error: "Something went wrong. The change was not saved." };
    }
  };
}
