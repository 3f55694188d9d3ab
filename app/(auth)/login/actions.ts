"use server";

import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { CredentialsSignin } from "next-auth";
import { redirect } from "next/navigation";
import { signIn } from "@/auth";
import { decodeSignInRefusal } from "@/lib/auth/authjs";
import { safeRedirectPath } from "@/lib/auth/redirects";
import { tooManyAttemptsMessage, type SecondFactor } from "@/lib/auth/sign-in";
import { authenticationOptions } from "@/lib/auth/webauthn";

export interface SignInState {
  /** "second_factor": the password was right; `factors` says what to ask for. */
  step: "password" | "second_factor";
  factors: SecondFactor[];
  email: string;
  organization: string;
  error?: string;
}

const ADDRESS_REFUSED = "Your organization's IP allowlist does not admit your network address. Sign in from an allowed network, or ask an admin.";

function messageFor(code: string): string {
  const refusal = decodeSignInRefusal(code);
  if (refusal.reason === "rate_limited") return tooManyAttemptsMessage(refusal.retryAt);
  if (refusal.reason === "invalid_code") return "That code is not valid. Enter the current code from your authenticator app, or a recovery code.";
  if (refusal.reason === "invalid_passkey") return "That passkey could not be verified. Try again, or use another way to sign in.";
  if (refusal.reason === "address_not_allowed") return ADDRESS_REFUSED;
  return "Invalid email or password.";
}

/** A challenge for a passkey to sign: for "Sign in with a passkey", and for the second step. Stores nothing. */
export async function passkeySignInOptionsAction(): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return authenticationOptions();
}

/**
 * Every sign-in: the password (with, on the second step, a code or a passkey's answer), or a passkey alone when
 * the form carries a passkey's answer and no password.
 */
export async function signInAction(previous: SignInState, form: FormData): Promise<SignInState> {
  const field = (name: string) => String(form.get(name) ?? "");
  const [email, password, code, passkey, organization] = [field("email"), field("password"), field("code"), field("passkey"), field("organization")];
  const passkeyOnly = passkey !== "" && password === "";
  try {
    await signIn("credentials", passkeyOnly ? { passkey, redirect: false } : { email, password, code, passkey, organization, redirect: false });
  } catch (error) {
    if (!(error instanceof CredentialsSignin)) throw error;
    const refusal = decodeSignInRefusal(error.code);
    if (refusal.reason === "mfa_required") return { step: "second_factor", factors: refusal.factors, email, organization };
    if (passkeyOnly) return { ...previous, error: messageFor(error.code) };
    // A wrong code or passkey keeps the second step; anything else starts over from the password.
    const secondStep = refusal.reason === "invalid_code" || refusal.reason === "invalid_passkey";
    return { step: secondStep ? "second_factor" : "password", factors: secondStep ? previous.factors : [], email, organization, error: messageFor(error.code) };
  }
  redirect(safeRedirectPath(form.get("callbackUrl")));
}
