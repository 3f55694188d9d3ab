"use server";

import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/server";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { updateSession } from "@/auth";
import { listPasskeys } from "@/db/queries/passkeys";
import { consoleAction } from "@/lib/auth/actions";
import { addPasskey, factorSessionOf, passkeyNameSchema } from "@/lib/auth/passkeys";
import { parseCeremonyResponse, registrationOptions, registrationResponseSchema } from "@/lib/auth/webauthn";
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
    mfa: session.mfa,
    sealedSecret: sealed,
    step,
    recoveryCodeHashes: recoveryCodes.map(hashRecoveryCode),
  });
  if (outcome === "already_enrolled") return ALREADY_ENROLLED;
  if (outcome === "expired") return { error: "The enrolment expired. Reload the page to start again." };
  if (outcome === "step_up_required") return { error: ADD_PASSKEY_REFUSALS.step_up_required };
  await updateSession({});
  return { success: "Two-factor authentication is on.", data: recoveryCodes };
}

/** Options for this session to register a passkey: its challenge is bound to this session and expires. */
export async function passkeyRegistrationOptionsAction(): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { user, session } = await requireUser({ allowEnrollment: true });
  return registrationOptions({ userId: user.id, sessionId: session.sessionId, email: user.email, existing: await listPasskeys({ userId: user.id }) });
}

const registerPasskeySchema = z.object({ response: z.string().min(1).max(32_768), name: passkeyNameSchema });

const ADD_PASSKEY_REFUSALS = {
  invalid: "The passkey could not be verified, or its prompt expired. Try again.",
  already_registered: "That passkey is already registered.",
  step_up_required: "Sign in with your passkey or authentication code first: only a session that proved a second factor can add another.",
};

/**
 * Registers the passkey this session's ceremony created. The user's first second factor turns MFA on for them:
 * the recovery codes come back (once), and this session is promoted as by a TOTP enrolment.
 */
export const registerPasskeyAction = consoleAction({ role: "viewer", schema: registerPasskeySchema, allowEnrollment: true }, async (input, context): Promise<FormState<string[]>> => {
  const response = parseCeremonyResponse(registrationResponseSchema, input.response);
  if (!response) return { error: ADD_PASSKEY_REFUSALS.invalid };
  const outcome = await addPasskey(factorSessionOf(context), { response, name: input.name });
  if (!outcome.ok) return { error: ADD_PASSKEY_REFUSALS[outcome.reason] };
  revalidatePath("/settings/account");
  if (!outcome.recoveryCodes) return { success: `Passkey "${outcome.passkey.name}" added.` };
  await updateSession({});
  return { success: "Two-factor authentication is on.", data: outcome.recoveryCodes };
});
