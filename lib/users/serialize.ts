import type { User } from "@/db/schema";

/** The user fields that are safe to show and to put in an audit snapshot. */
export type PublicUser = Pick<User, "id" | "orgId" | "email" | "role" | "disabledAt" | "totpEnabledAt" | "lastLoginAt" | "createdAt">;

export function toPublicUser(user: User): PublicUser {
  const { id, orgId, email, role, disabledAt, totpEnabledAt, lastLoginAt, createdAt } = user;
  return { id, orgId, email, role, disabledAt, totpEnabledAt, lastLoginAt, createdAt };
}
