"use server";

import { updateSession } from "@/auth";
import { completeTotpEnrollment } from "@/db/queries/mfa";
import { decryptSecret } from "@/lib/auth/crypto";
import { requireUser } from "@/lib/auth/session";
import { hashRecoveryCode, matchTotp, newRecoveryCodes } from "@/lib/auth/totp";
import type { FormState } from "@/lib/forms";

/** Confirms the authenticator with a code, turns TOTP on, and hands out the recovery codes (once). */
export async function confirmEnrollmentAction(_previous: FormState<string[]>, form: FormData): Promise<FormState<string[]>> {
  const { user, actor } = await requireUser({ allowEnrollment: true });
  if (user.totpEnabledAt) return { error: "Two-factor authentication is already set up." };
  if (!user.totpSecret) return { error: "The enrolment expired. Reload the page to start again." };
  const step = matchTotp(decryptSecret(user.totpSecret), String(form.get("code") ?? "").trim());
  if (step === null) return { error: "That code is not valid. Enter the 6-digit code your app shows now.", fields: { code: "Invalid code" } };
  const recoveryCodes = newRecoveryCodes();
  const enrolled = await completeTotpEnrollment({ actor, userId: user.id, step, recoveryCodeHashes: recoveryCodes.map(hashRecoveryCode) });
  if (!enrolled) return { error: "Two-factor authentication is already set up." };
  await updateSession({});
  return { success: "Two-factor authentication is on.", data: recoveryCodes };
}
