"use server";

import { updateSession } from "@/auth";
import { findPendingTotpSecret } from "@/db/queries/mfa";
import { completeTotpEnrollment } from "@/lib/auth/mfa";
import { decryptSecret } from "@/lib/auth/crypto";
import { requireUser } from "@/lib/auth/session";
import { hashRecoveryCode, matchTotp, newRecoveryCodes } from "@/lib/auth/totp";
import type { FormState } from "@/lib/forms";

const ALREADY_ENROLLED: FormState<string[]> = { error: "Two-factor authentication is already set up. Sign in again with your code." };

/**
 * Confirms this session's authenticator with a code, turns TOTP on, and hands out the recovery codes (once).
 * Every other session of the user ends; this one is promoted to "verified" through the grant the enrolment
 * recorded for it, and nothing else.
 */
export async function confirmEnrollmentAction(_previous: FormState<string[]>, form: FormData): Promise<FormState<string[]>> {
  const { user, actor, session } = await requireUser({ allowEnrollment: true });
  if (user.totpEnabledAt) return ALREADY_ENROLLED;
  const sealed = await findPendingTotpSecret({ userId: user.id, sessionId: session.sessionId });
  if (!sealed) return { error: "The enrolment expired. Reload the page to start again." };
  const step = matchTotp(decryptSecret(sealed), String(form.get("code") ?? "").trim());
  if (step === null) return { error: "That code is not valid. Enter the 6-digit code your app shows now.", fields: { code: "Invalid code" } };
  const recoveryCodes = newRecoveryCodes();
  const outcome = await completeTotpEnrollment({
    actor,
    userId: user.id,
    sessionId: session.sessionId,
    sealedSecret: sealed,
    step,
    recoveryCodeHashes: recoveryCodes.map(hashRecoveryCode),
  });
  if (outcome === "already_enrolled") return ALREADY_ENROLLED;
  if (outcome === "expired") return { error: "The enrolment expired. Reload the page to start again." };
  await updateSession({});
  return { success: "Two-factor authentication is on.", data: recoveryCodes };
}
