"use client";

import { useRef, useState } from "react";
import { passkeySignInOptionsAction, signInAction, type SignInState } from "@/app/(auth)/login/actions";
import { signWithPasskey } from "./passkey-ceremony";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Input } from "./ui/field";
import { useConsoleAction, useConsoleForm, type CustomState } from "./use-console-action";

const SIGN_IN: CustomState<SignInState> = {
  initialState: { step: "password", factors: [], email: "", organization: "" },
  // Nothing reached the server: stay on the same step, with the same email and organization, and try again.
  unreachable: (previous, error) => ({ ...previous, error }),
};

export function LoginForm({ callbackUrl, notice }: { callbackUrl: string; notice?: string }) {
  const { state, pending, formProps } = useConsoleForm(signInAction, { ...SIGN_IN, reset: "after-every-answer" });
  // Kept in memory so the second step can resend it; it never leaves this page otherwise.
  const [password, setPassword] = useState("");
  // On the second step, a user with a passkey is asked for it first, and may switch to a code.
  const [codeChosen, setCodeChosen] = useState(false);
  const [ceremony, setCeremony] = useState<{ running: boolean; error?: string }>({ running: false });
  const passkeyAnswer = useRef<HTMLInputElement>(null);
  const secondStep = state.step === "second_factor";
  const passkeyStep = secondStep && state.factors.includes("passkey") && !codeChosen;
  const busy = pending || ceremony.running;

  async function answerWithPasskey() {
    setCeremony({ running: true });
    const result = await signWithPasskey(passkeySignInOptionsAction);
    if ("error" in result) return setCeremony({ running: false, error: result.error });
    setCeremony({ running: false });
    passkeyAnswer.current!.value = result.answer;
    formProps.ref.current?.requestSubmit();
  }

  const error = ceremony.error ?? state.error;
  return (
    <div className="space-y-5">
      <form {...formProps} className="space-y-5" noValidate={false}>
        <div>
          <h1 className="text-lg font-semibold text-slate-900">{secondStep ? "Two-factor authentication" : "Sign in"}</h1>
          <p className="mt-1 text-sm text-slate-600">
            {!secondStep
              ? "Sign in to the Palisade console."
              : passkeyStep
                ? "Confirm it is you with your passkey."
                : "Enter the 6-digit code from your authenticator app, or one of your recovery codes."}
          </p>
        </div>
        {notice && !error && <Alert tone="info">{notice}</Alert>}
        {error && <Alert tone="error">{error}</Alert>}
        <input type="hidden" name="callbackUrl" value={callbackUrl} />
        <input type="hidden" name="passkey" ref={passkeyAnswer} defaultValue="" />
        {secondStep ? (
          <>
            <input type="hidden" name="email" value={state.email} />
            <input type="hidden" name="organization" value={state.organization} />
            <input type="hidden" name="password" value={password} />
            {passkeyStep ? (
              <Button className="w-full" disabled={busy} onClick={answerWithPasskey}>
                {busy ? "Waiting for your passkey…" : "Use your passkey"}
              </Button>
            ) : (
              <Field id="code" label="Authentication code">
                <Input id="code" name="code" inputMode="text" autoComplete="one-time-code" autoFocus required maxLength={32} placeholder="123456" />
              </Field>
            )}
            {state.factors.includes("passkey") && (
              <button type="button" className="text-sm text-slate-600 underline hover:text-slate-900" onClick={() => setCodeChosen(!codeChosen)}>
                {codeChosen ? "Use your passkey instead" : "Use an authentication code or a recovery code instead"}
              </button>
            )}
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
        {!passkeyStep && (
          <Button type="submit" className="w-full" disabled={busy}>
            {pending ? "Signing in…" : secondStep ? "Verify" : "Sign in"}
          </Button>
        )}
      </form>
      {!secondStep && <PasskeySignIn callbackUrl={callbackUrl} />}
    </div>
  );
}

/**
 * "Sign in with a passkey": a discoverable credential with user verification, no email and no password. The
 * passkey tells the server whose account it is.
 */
function PasskeySignIn({ callbackUrl }: { callbackUrl: string }) {
  const { state, pending, run } = useConsoleAction(signInAction, SIGN_IN);
  const [ceremony, setCeremony] = useState<{ running: boolean; error?: string }>({ running: false });

  async function signInWithPasskey() {
    setCeremony({ running: true });
    const result = await signWithPasskey(passkeySignInOptionsAction);
    if ("error" in result) return setCeremony({ running: false, error: result.error });
    setCeremony({ running: false });
    const form = new FormData();
    form.set("passkey", result.answer);
    form.set("callbackUrl", callbackUrl);
    run(form);
  }

  const error = ceremony.error ?? state.error;
  return (
    <div className="space-y-3 border-t border-slate-200 pt-5">
      {error && <Alert tone="error">{error}</Alert>}
      <Button variant="secondary" className="w-full" disabled={pending || ceremony.running} onClick={signInWithPasskey}>
        {pending || ceremony.running ? "Waiting for your passkey…" : "Sign in with a passkey"}
      </Button>
    </div>
  );
}
