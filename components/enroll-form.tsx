"use client";

import Link from "next/link";
import { useState } from "react";
import { confirmEnrollmentAction } from "@/app/(auth)/mfa/enroll/actions";
import { CopyButton } from "./copy-button";
import { PasskeyRegistration } from "./passkey-registration";
import { RecoveryCodes } from "./recovery-codes";
import { Alert } from "./ui/alert";
import { Button, buttonClasses } from "./ui/button";
import { Field, Input } from "./ui/field";
import { useConsoleForm, type ConsoleForm } from "./use-console-action";
import type { FormState } from "@/lib/forms";

/** The TOTP authenticator's setup, from the secret this session is enrolling. */
export interface TotpSetup {
  qrDataUrl: string;
  secret: string;
}

/**
 * Second-factor enrolment. A user without one is offered a passkey first and an authenticator app as the fallback,
 * as the "MFA Required" policy's rules say; a user who has a passkey may add the app here too.
 */
export function EnrollForm({ totp, offerPasskey, required }: { totp: TotpSetup | null; offerPasskey: boolean; required: boolean }) {
  // Held here, not in the forms: an enrolment re-renders the page (the session changed) with neither form.
  const [passkeyRecoveryCodes, setPasskeyRecoveryCodes] = useState<string[] | null>(null);
  const totpForm = useConsoleForm(confirmEnrollmentAction, { reset: "after-every-answer" });
  const recoveryCodes = passkeyRecoveryCodes ?? totpForm.state.data;
  if (recoveryCodes) return <RecoveryCodes codes={recoveryCodes} />;
  if (!totp && !offerPasskey) {
    return (
      <div className="space-y-5">
        <h1 className="text-lg font-semibold text-slate-900">Two-factor authentication is on</h1>
        <p className="text-sm text-slate-600">
          Your account already has a second factor. Manage your passkeys under Your account; to add an authenticator app, sign in with your passkey first. An admin
          can reset your second factors if you lose them.
        </p>
        <Link href="/" className={buttonClasses("primary")}>
          Go to the console
        </Link>
      </div>
    );
  }
  const why = required ? "Your organization's “MFA Required” policy is on: set up a second factor before you continue." : "Protect your account with a second factor.";
  if (!offerPasskey) {
    return (
      <div className="space-y-5">
        <div>
          <h1 className="text-lg font-semibold text-slate-900">Set up an authenticator app</h1>
          <p className="mt-1 text-sm text-slate-600">A fallback for when your passkey is not at hand.</p>
        </div>
        <TotpForm setup={totp!} form={totpForm} />
      </div>
    );
  }
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-lg font-semibold text-slate-900">Set up two-factor authentication</h1>
        <p className="mt-1 text-sm text-slate-600">{why}</p>
      </div>
      <section aria-labelledby="passkey-heading" className="space-y-3">
        <h2 id="passkey-heading" className="text-sm font-semibold text-slate-900">
          Recommended: a passkey
        </h2>
        <p className="text-sm text-slate-600">Your device or security key signs you in after a fingerprint, face or PIN. Nothing to type, and nothing a phishing site can reuse.</p>
        <PasskeyRegistration submitLabel="Create a passkey" onEnrolled={setPasskeyRecoveryCodes} />
      </section>
      {totp && (
        <details className="rounded-md border border-slate-200 p-4">
          <summary className="cursor-pointer select-none text-sm font-medium text-slate-800">Use an authenticator app instead</summary>
          <div className="mt-4">
            <TotpForm setup={totp} form={totpForm} />
          </div>
        </details>
      )}
    </div>
  );
}

function TotpForm({ setup, form }: { setup: TotpSetup; form: ConsoleForm<FormState<string[]>> }) {
  const { state, pending, formProps } = form;
  const { qrDataUrl, secret } = setup;

  return (
    <form {...formProps} className="space-y-5">
      {state.error && <Alert tone="error">{state.error}</Alert>}
      <ol className="list-decimal space-y-4 pl-5 text-sm text-slate-700">
        <li>
          Scan this QR code with an authenticator app (1Password, Google Authenticator, Authy…).
          {/* eslint-disable-next-line @next/next/no-img-element -- a generated data URL, not an optimizable asset */}
          <img src={qrDataUrl} alt="QR code for your authenticator app" width={176} height={176} className="mt-3 rounded-md border border-slate-200 bg-white p-2" />
        </li>
        <li>
          Or enter this key by hand:
          <div className="mt-2 flex items-center gap-2">
            <code data-testid="totp-secret" className="rounded bg-slate-100 px-2 py-1 font-mono text-sm tracking-wider text-slate-900">
              {secret}
            </code>
            <CopyButton value={secret} label="Copy key" />
          </div>
        </li>
        <li>
          <Field id="code" label="Enter the 6-digit code the app shows" error={state.fields?.code}>
            <Input id="code" name="code" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} autoComplete="one-time-code" required className="max-w-40" />
          </Field>
        </li>
      </ol>
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Verifying…" : "Turn on the authenticator app"}
      </Button>
    </form>
  );
}
