import { recordFailure, type Actor } from "@/lib/audit/log";
import { settleLoginAttempt } from "@/db/queries/login-attempts";
import { normalizeEmail } from "@/lib/users/email";
import { setUserPassword } from "@/lib/users/service";
import type { User } from "@/db/schema";
import { hashNewPassword, verifyPassword } from "./password";
import { reserveSignInAttempt } from "./throttle";

export type PasswordChangeResult =
  | { ok: true; revokedTokens: number }
  | { ok: false; reason: "wrong_password" | "same_password" }
  | { ok: false; reason: "weak_password"; problem: string }
  | { ok: false; reason: "rate_limited"; retryAt: Date };

/**
 * A user changes their own password. The current password is required, and each check counts with sign-in
 * attempts under the same limits, so a session left open cannot be used to guess it. A change ends every
 * session and revokes every API token of the user.
 */
export async function changeOwnPassword({ user, actor, currentPassword, newPassword }: { user: User; actor: Actor; currentPassword: string; newPassword: string }): Promise<PasswordChangeResult> {
  const resource = `user:${user.id}`;
  const reservation = await reserveSignInAttempt({ email: normalizeEmail(user.email), ip: actor.ip ?? "unknown", subject: { actor, userId: user.id } });
  if (!reservation.ok) return { ok: false, reason: "rate_limited", retryAt: reservation.retryAt };
  if (!(await verifyPassword(user.passwordHash, currentPassword))) {
    await settleLoginAttempt({ id: reservation.attemptId, outcome: "failed" });
    await recordFailure(actor, { action: "change_password", resource, details: "Refused: wrong current password" });
    return { ok: false, reason: "wrong_password" };
  }
  await settleLoginAttempt({ id: reservation.attemptId, outcome: "succeeded" });
  if (newPassword === currentPassword) return { ok: false, reason: "same_password" };
  const checked = await hashNewPassword(newPassword, { orgId: user.orgId, userInputs: [user.email] });
  if (!checked.ok) return { ok: false, reason: "weak_password", problem: checked.problem };
  const revokedTokens = await setUserPassword({ actor, user, passwordHash: checked.hash, details: "Changed their password; every session ended" });
  return { ok: true, revokedTokens };
}
