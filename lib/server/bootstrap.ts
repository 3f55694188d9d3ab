import { createFirstAdmin } from "@/lib/users/service";
import { env } from "@/lib/env";
import { hashPassword } from "@/lib/auth/password";

/**
 * While no user exists and ADMIN_EMAIL and ADMIN_PASSWORD are set, creates that admin in the ADMIN_ORG
 * organization. Returns the email when it created one. Several instances may race; exactly one creates it.
 */
export async function createAdminFromEnv(): Promise<string | null> {
  const { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_ORG } = env();
  if (!ADMIN_EMAIL || !ADMIN_PASSWORD) return null;
  const user = await createFirstAdmin({
    email: ADMIN_EMAIL,
    passwordHash: await hashPassword(ADMIN_PASSWORD),
    organization: { name: ADMIN_ORG },
  });
  return user?.email ?? null;
}
