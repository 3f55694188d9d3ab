import { recordFailure, type Actor } from "@/db/queries/audit-logs";
import { recordLoginAttempt, throttledUntil } from "@/db/queries/login-attempts";
import { normalizeEmail, setUserPassword } from "@/db/queries/users";
import type { User } from "@/db/schema";
import { hashPassword, verifyPassword } from "./password";
import { MAX_FAILED_ATTEMPTS, THROTTLE_WINDOW_MS } from "./sign-in";

export type PasswordChangeResult = { ok: true } | { ok: false; reason: "wrong_password" | "same_password" } | { ok: false; reason: "rate_limited"; retryAt: Date };

/**
 * A user changes their own password. The current password is required, and its failures count with failed
 * sign-ins for the same throttle, so a session left open cannot be used to guess it.
 */
export async function changeOwnPassword({ user, actor, currentPassword, newPassword }: { user: User; actor: Actor; currentPassword: string; newPassword: string }): Promise<PasswordChangeResult> {
  const resource = `user:${user.id}`;
  const ip = actor.ip ?? "unknown";
  const email = normalizeEmail(user.email);
  const retryAt = await throttledUntil({ email, ip, limit: MAX_FAILED_ATTEMPTS, windowMs: THROTTLE_WINDOW_MS });
  if (retryAt) {
    await recordFailure(actor, { action: "change_password", resource, details: "Refused: too many failed attempts" });
    return { ok: false, reason: "rate_limited", retryAt };
  }
  if (!(await verifyPassword(user.passwordHash, currentPassword))) {
    await recordLoginAttempt({ email, ip, success: false });
    await recordFailure(actor, { action: "change_password", resource, details: "Refused: wrong current password" });
    return { ok: false, reason: "wrong_password" };
  }
  if (newPassword === currentPassword) return { ok: false, reason: "same_password" };
  await setUserPassword({ actor, userId: user.id, passwordHash: await hashPassword(newPassword), details: "Changed their password; every session ended" });
  return { ok: true };
}
