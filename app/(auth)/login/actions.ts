"use server";

import { CredentialsSignin } from "next-auth";
import { redirect } from "next/navigation";
import { signIn } from "@/auth";
import { decodeSignInRefusal } from "@/lib/auth/authjs";
import { safeRedirectPath } from "@/lib/auth/redirects";
import { tooManyAttemptsMessage } from "@/lib/auth/sign-in";

export interface SignInState {
  step: "password" | "code";
  email: string;
  organization: string;
  error?: string;
}

const ADDRESS_REFUSED = "Your organization's IP allowlist does not admit your network address. Sign in from an allowed network, or ask an admin.";

function messageFor(code: string): string {
  const refusal = decodeSignInRefusal(code);
  if (refusal.reason === "rate_limited") return tooManyAttemptsMessage(refusal.retryAt);
  if (refusal.reason === "invalid_code") return "That code is not valid. Enter the current code from your authenticator app, or a recovery code.";
  if (refusal.reason === "address_not_allowed") return ADDRESS_REFUSED;
  return "Invalid email or password.";
}

export async function signInAction(_previous: SignInState, form: FormData): Promise<SignInState> {
  const email = String(form.get("email") ?? "");
  const password = String(form.get("password") ?? "");
  const code = String(form.get("code") ?? "");
  const organization = String(form.get("organization") ?? "");
  try {
    await signIn("credentials", { email, password, code, organization, redirect: false });
  } catch (error) {
    if (!(error instanceof CredentialsSignin)) throw error;
    if (error.code === "mfa_required") return { step: "code", email, organization };
    // A wrong code keeps the code step; anything else starts over from the password.
    return { step: error.code === "invalid_code" ? "code" : "password", email, organization, error: messageFor(error.code) };
  }
  redirect(safeRedirectPath(form.get("callbackUrl")));
}
