"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { recordFailure } from "@/lib/audit/log";
import { resetMfa } from "@/lib/auth/mfa";
import { createUser, setUserDisabled, updateUserRole } from "@/lib/users/service";
import { ROLES } from "@/lib/users/roles";
import { consoleAction } from "@/lib/auth/actions";
import { hashNewPassword, newPasswordSchema } from "@/lib/auth/password";

const userId = z.string().min(1).max(64);
const refreshUsers = () => revalidatePath("/settings/users");
const userResource = ({ userId }: { userId: string }) => `user:${userId}`;

const createUserSchema = z.object({
  email: z.email("Enter a valid email address").max(320),
  role: z.enum(ROLES, "Choose a role"),
  password: newPasswordSchema,
});

/** A new user in the admin's organization, with an initial password the admin hands over. */
export const createUserAction = consoleAction({ role: "admin", schema: createUserSchema, audit: ({ email }) => ({ action: "create_user", resource: `user:${email}` }) }, async ({ email, role, password }, { actor }) => {
  const checked = await hashNewPassword(password, { orgId: actor.orgId, userInputs: [email] });
  if (!checked.ok) return { error: "Check the highlighted fields.", fields: { password: checked.problem } };
  const user = await createUser({
    email,
    role,
    passwordHash: checked.hash,
    organization: { id: actor.orgId },
    actor,
  });
  refreshUsers();
  return { success: `Created ${user.role} ${user.email}. Share the initial password with them over a secure channel.` };
});

export const changeRoleAction = consoleAction({ role: "admin", schema: z.object({ userId, role: z.enum(ROLES) }), audit: (input) => ({ action: "update_user_role", resource: userResource(input) }) }, async ({ userId, role }, { actor }) => {
  const user = await updateUserRole({ actor, userId, role });
  refreshUsers();
  return { success: `${user.email} is now ${user.role === "admin" ? "an admin" : "a viewer"}` };
});

export const setUserDisabledAction = consoleAction(
  { role: "admin", schema: z.object({ userId, disabled: z.boolean() }), audit: (input) => ({ action: input.disabled ? "disable_user" : "enable_user", resource: userResource(input) }) },
  async ({ userId, disabled }, { actor }) => {
    const user = await setUserDisabled({ actor, userId, disabled });
    refreshUsers();
    return { success: `${user.email} is ${user.disabledAt ? "disabled" : "enabled"}` };
  },
);

/** Clears another user's authenticator and recovery codes and ends their sessions; they enrol again at their next sign-in. */
export const resetMfaAction = consoleAction({ role: "admin", schema: z.object({ userId }), audit: (input) => ({ action: "mfa_reset", resource: userResource(input) }) }, async ({ userId }, { user, actor }) => {
  // Your own reset would sign you out with no way back in until you enrol again; another admin does it.
  if (userId === user.id) {
    const refusal = "You cannot reset your own MFA. Ask another admin.";
    await recordFailure(actor, { action: "mfa_reset", resource: `user:${userId}`, details: `Refused: ${refusal}` });
    return { error: refusal };
  }
  if (!(await resetMfa({ actor, userId }))) return { error: "User not found" };
  refreshUsers();
  return { success: "MFA reset" };
});
