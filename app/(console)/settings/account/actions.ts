"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { consoleAction } from "@/lib/auth/actions";
import { newPasswordSchema } from "@/lib/auth/password";
import { changeOwnPassword } from "@/lib/auth/password-change";
import { factorSessionOf, passkeyNameSchema, removePasskey, renameOwnPasskey } from "@/lib/auth/passkeys";
import { tooManyAttemptsMessage } from "@/lib/auth/sign-in";

const changePasswordSchema = z
  .object({
    current_password: z.string().min(1, "Enter your current password").max(1024),
    new_password: newPasswordSchema,
    confirm_password: z.string().max(1024),
  })
  .refine((input) => input.confirm_password === input.new_password, { path: ["confirm_password"], message: "The two new passwords differ" });

const REFUSALS = {
  wrong_password: { error: "Your current password is not correct.", fields: { current_password: "Not your current password" } },
  same_password: { error: "Choose a password different from the current one.", fields: { new_password: "Same as the current password" } },
};

/** Any user changes their own password; every session of theirs ends, this one included, and they sign in again. */
export const changePasswordAction = consoleAction({ role: "viewer", schema: changePasswordSchema }, async (input, { user, actor }) => {
  const result = await changeOwnPassword({ user, actor, currentPassword: input.current_password, newPassword: input.new_password });
  if (result.ok) redirect("/login?password=changed");
  if (result.reason === "rate_limited") return { error: tooManyAttemptsMessage(result.retryAt) };
  if (result.reason === "weak_password") return { error: "Choose a stronger password.", fields: { new_password: result.problem } };
  return REFUSALS[result.reason];
});

const passkeyId = z.string().min(1).max(64);

/** Renames one of your own passkeys. */
export const renamePasskeyAction = consoleAction({ role: "viewer", schema: z.object({ id: passkeyId, name: passkeyNameSchema }) }, async (input, context) => {
  const renamed = await renameOwnPasskey(factorSessionOf(context), input);
  if (!renamed) return { error: "That passkey no longer exists." };
  revalidatePath("/settings/account");
  return { success: "Passkey renamed." };
});

const REMOVE_REFUSALS = {
  not_found: "That passkey no longer exists.",
  step_up_required: "Sign in with your passkey or authentication code first: a session that proved only the password cannot remove a second factor.",
  last_factor: "Your organization requires MFA and this is your only second factor. Add another passkey or an authenticator app before removing it.",
};

/** Removes one of your own passkeys; never the last second factor while MFA is required. */
export const removePasskeyAction = consoleAction({ role: "viewer", schema: z.object({ id: passkeyId }) }, async (input, context) => {
  const outcome = await removePasskey(factorSessionOf(context), input);
  if (!outcome.ok) return { error: REMOVE_REFUSALS[outcome.reason] };
  revalidatePath("/settings/account");
  return { success: "Passkey removed." };
});
