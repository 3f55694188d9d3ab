"use client";

import { useState } from "react";
import { signInAction, type SignInState } from "@/app/(auth)/login/actions";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Input } from "./ui/field";
import { useConsoleForm, type CustomState } from "./use-console-action";

const SIGN_IN: CustomState<SignInState> = {
  initialState: { step: "password", email: "", organization: "" },
  // Nothing reached the server: stay on the same step, with the same email and organization, and try again.
  unreachable: (previous, error) => ({ ...previous, error }),
};

export function LoginForm({ callbackUrl, notice }: { callbackUrl: string; notice?: string }) {
  const { state, pending, formProps } = useConsoleForm(signInAction, { ...SIGN_IN, reset: "after-every-answer" });
  // Kept in memory so the code step can resend it; it never leaves this page otherwise.
  const [password, setPassword] = useState("");
  const codeStep = state.step === "code";

  return (
    <form {...formProps} className="space-y-5" noValidate={false}>
      <div>
        <h1 className="text-lg font-semibold text-slate-900">{codeStep ? "Two-factor authentication" : "Sign in"}</h1>
        <p className="mt-1 text-sm text-slate-600">
          {codeStep ? "Enter the 6-digit code from your authenticator app, or one of your recovery codes." : "Sign in to the Palisade console."}
        </p>
      </div>
      {notice && !state.error && <Alert tone="info">{notice}</Alert>}
      {state.error && <Alert tone="error">{state.error}</Alert>}
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      {codeStep ? (
        <>
          <input type="hidden" name="email" value={state.email} />
          <input type="hidden" name="organization" value={state.organization} />
          <input type="hidden" name="password" value={password} />
          <Field id="code" label="Authentication code">
            <Input id="code" name="code" inputMode="text" autoComplete="one-time-code" autoFocus required maxLength={32} placeholder="123456" />
          </Field>
        </>
      ) : (
        <>
          <Field id="email" label="Email">
            <Input id="email" name="email" type="email" autoComplete="username" required defaultValue={state.email} autoFocus />
          </Field>
          <Field id="password" label="Password">
            <Input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
          </Field>
          {/* An email may have accounts in several organizations; without a name, the oldest account is used. */}
          <details className="text-sm text-slate-600" open={state.organization !== ""}>
            <summary className="cursor-pointer select-none hover:text-slate-900">My email is in several organizations</summary>
            <div className="mt-3">
              <Field id="organization" label="Organization (optional)">
                <Input id="organization" name="organization" autoComplete="organization" maxLength={100} defaultValue={state.organization} />
              </Field>
            </div>
          </details>
          {/* Without "MFA Required" the password suffices, but an enrolled user may still prove a second factor. */}
          <details className="text-sm text-slate-600">
            <summary className="cursor-pointer select-none hover:text-slate-900">I have an authenticator code</summary>
            <div className="mt-3">
              <Field id="optional-code" label="One-time code (optional)">
                <Input id="optional-code" name="code" inputMode="text" autoComplete="one-time-code" maxLength={32} placeholder="123456" />
              </Field>
            </div>
          </details>
        </>
      )}
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Signing in…" : codeStep ? "Verify" : "Sign in"}
      </Button>
    </form>
  );
}
