"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { signIn } from "@/auth";
import { countUsers } from "@/db/queries/users";
import { createFirstAdmin } from "@/lib/users/service";
import { hashNewPassword, newPasswordSchema } from "@/lib/auth/password";
import { fieldErrors, type FormState } from "@/lib/forms";
import { findUnsafeInput, plainName } from "@/lib/validation";

const setupSchema = z
  .object({
    organization: plainName({ max: 100 }),
    email: z.email("Enter a valid email address"),
    password: newPasswordSchema,
    confirm: z.string(),
  })
  .refine((input) => input.password === input.confirm, { path: ["confirm"], message: "The passwords do not match" });

const SETUP_DONE: FormState = { error: "Setup is already complete: sign in instead." };

/**
 * First-run setup. Reachable without a session (by its action id, even after setup), so it checks that setup can
 * still happen before any costly work: a password is hashed only while no user exists.
 */
export async function setupAction(_previous: FormState, form: FormData): Promise<FormState> {
  if ((await countUsers()) > 0) return SETUP_DONE;
  const input = Object.fromEntries(form);
  if (findUnsafeInput(input)) return { error: "Check the highlighted fields." };
  const parsed = setupSchema.safeParse(input);
  if (!parsed.success) return { error: "Check the highlighted fields.", fields: fieldErrors(parsed.error) };
  const { organization, email, password } = parsed.data;
  const checked = await hashNewPassword(password, { orgId: null, userInputs: [email, organization] });
  if (!checked.ok) return { error: "Check the highlighted fields.", fields: { password: checked.problem } };
  const user = await createFirstAdmin({ email, passwordHash: checked.hash, organization: { name: organization } });
  if (!user) return SETUP_DONE;
  await signIn("credentials", { email, password, redirect: false });
  redirect("/");
}
