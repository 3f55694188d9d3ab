"use client";

import {
  startAuthentication,
  startRegistration,
  WebAuthnError,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";

/** A ceremony's answer, as the JSON text the server verifies, or what to tell the user. */
export type CeremonyResult = { answer: string } | { error: string };

const UNREACHABLE = "The server could not be reached. Try again.";

/** What the user reads when the browser or the authenticator gave up. */
function ceremonyMessage(error: unknown): string {
  if (error instanceof WebAuthnError && error.code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED") return "This authenticator already holds a passkey for your account.";
  if (error instanceof WebAuthnError && error.code === "ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT") {
    return "This authenticator cannot verify you (with a PIN or biometrics), which Palisade requires. Use another one.";
  }
  if (error instanceof Error && error.name === "NotAllowedError") return "The passkey prompt was closed, timed out, or could not verify you. Try again.";
  return "Your browser could not use a passkey here.";
}

async function runCeremony<O>(options: () => Promise<O>, ceremony: (optionsJSON: O) => Promise<unknown>): Promise<CeremonyResult> {
  let optionsJSON: O;
  try {
    optionsJSON = await options();
  } catch {
    return { error: UNREACHABLE };
  }
  try {
    return { answer: JSON.stringify(await ceremony(optionsJSON)) };
  } catch (error) {
    return { error: ceremonyMessage(error) };
  }
}

/** Asks a passkey to sign the server's challenge (a discoverable credential: the browser lets the user pick one). */
export function signWithPasskey(options: () => Promise<PublicKeyCredentialRequestOptionsJSON>): Promise<CeremonyResult> {
  return runCeremony(options, (optionsJSON) => startAuthentication({ optionsJSON }));
}

/** Asks the browser to create a passkey for the server's registration options. */
export function createPasskey(options: () => Promise<PublicKeyCredentialCreationOptionsJSON>): Promise<CeremonyResult> {
  return runCeremony(options, (optionsJSON) => startRegistration({ optionsJSON }));
}
