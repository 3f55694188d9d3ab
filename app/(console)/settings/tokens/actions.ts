"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { createApiToken, revokeApiToken } from "@/lib/auth/api-tokens";
import { consoleAction } from "@/lib/auth/actions";

const DAY_MS = 86_400_000;

const createTokenSchema = z.object({
  name: z.string().trim().min(1, "Enter a name").max(100, "At most 100 characters"),
  // A blank field means "never expires".
  expires_days: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.coerce.number("Enter a number of days").int("Enter a whole number of days").min(1, "At least 1 day").max(3650, "At most 3650 days").optional(),
  ),
});

export interface CreatedToken {
  secret: string;
  name: string;
}

/** Any user creates tokens for themselves; a token acts with its owner's role. The secret is returned once. */
export const createTokenAction = consoleAction<typeof createTokenSchema, CreatedToken>(
  { role: "viewer", schema: createTokenSchema },
  async ({ name, expires_days: days }, { user, actor }) => {
    const { secret } = await createApiToken({ actor, user, name, expiresAt: days ? new Date(Date.now() + days * DAY_MS) : null });
    revalidatePath("/settings/tokens");
    return { success: `Created token ${name}`, data: { secret, name } };
  },
);

/** Admins revoke any token of the organization; everyone else only their own. */
export const revokeTokenAction = consoleAction({ role: "viewer", schema: z.object({ id: z.string().min(1).max(64) }) }, async ({ id }, { user, actor }) => {
  const revoked = await revokeApiToken({ id, actor, userId: user.role === "admin" ? undefined : user.id });
  if (!revoked) return { error: "This token does not exist or is already revoked." };
  revalidatePath("/settings/tokens");
  return { success: "Token revoked" };
});
