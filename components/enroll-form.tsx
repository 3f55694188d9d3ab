"use client";

import Link from "next/link";
import { confirmEnrollmentAction } from "@/app/(auth)/mfa/enroll/actions";
import { CopyButton } from "./copy-button";
import { Alert } from "./ui/alert";
import { Button, buttonClasses } from "./ui/button";
import { Field, Input } from "./ui/field";
import { useConsoleForm } from "./use-console-action";

export function EnrollForm({ setup, required }: { setup: { qrDataUrl: string; secret: string } | null; required: boolean }) {
  const { state, pending, formProps } = useConsoleForm(confirmEnrollmentAction, { reset: "after-every-answer" });

  if (state.data) {
    const codes = state.data;
    return (
      <div className="space-y-5">
        <h1 className="text-lg font-semibold text-slate-900">Save your recovery codes</h1>
        <Alert tone="warning" title="Shown only once">
          Each code signs you in once if you lose your authenticator. Store them somewhere safe, such as a password manager.
        </Alert>
        <ul aria-label="Recovery codes" className="grid grid-cols-2 gap-2 rounded-md bg-slate-50 p-4 font-mono text-sm text-slate-900">
          {codes.map((code) => (
            <li key={code}>{code}</li>
          ))}
        </ul>
        <div className="flex flex-wrap gap-2">
          <CopyButton value={codes.join("\n")} label="Copy codes" />
          <Link href="/" className={buttonClasses("primary")}>
            I have saved them, continue
          </Link>
        </div>
      </div>
    );
  }

  if (!setup) {
    return (
      <div className="space-y-5">
        <h1 className="text-lg font-semibold text-slate-900">Two-factor authentication is on</h1>
        <p className="text-sm text-slate-600">Your account already has an authenticator. An admin can reset it if you lose it.</p>
        <Link href="/" className={buttonClasses("primary")}>
          Go to the console
        </Link>
      </div>
    );
  }
  const { qrDataUrl, secret } = setup;

  return (
    <form {...formProps} className="space-y-5">
      <div>
        <h1 className="text-lg font-semibold text-slate-900">Set up two-factor authentication</h1>
        <p className="mt-1 text-sm text-slate-600">
          {required
            ? "Your organization's “MFA Required” policy is on: set up an authenticator app before you continue."
            : "Add an authenticator app to protect your account."}
        </p>
      </div>
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
        {pending ? "Verifying…" : "Turn on two-factor authentication"}
      </Button>
    </form>
  );
}
