"use client";

import { useState } from "react";
import { passkeyRegistrationOptionsAction, registerPasskeyAction } from "@/app/(auth)/mfa/enroll/actions";
import { createPasskey } from "./passkey-ceremony";
import { RecoveryCodes } from "./recovery-codes";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Input } from "./ui/field";
import { useConsoleAction } from "./use-console-action";

/**
 * Creates a passkey in the browser and registers it. When it is the user's first second factor, the recovery codes
 * it earned go to `onEnrolled`, or replace the form.
 */
export function PasskeyRegistration({ submitLabel = "Add a passkey", onEnrolled }: { submitLabel?: string; onEnrolled?: (recoveryCodes: string[]) => void }) {
  const { state, pending, run } = useConsoleAction(registerPasskeyAction);
  const [name, setName] = useState("");
  const [ceremony, setCeremony] = useState<{ running: boolean; error?: string }>({ running: false });

  if (state.data && !onEnrolled) return <RecoveryCodes codes={state.data} />;

  async function register() {
    setCeremony({ running: true });
    const result = await createPasskey(passkeyRegistrationOptionsAction);
    if ("error" in result) return setCeremony({ running: false, error: result.error });
    setCeremony({ running: false });
    const answer = await run({ response: result.answer, name });
    if (answer.data) onEnrolled?.(answer.data);
    if (answer.success) setName("");
  }

  const busy = pending || ceremony.running;
  const error = ceremony.running ? undefined : (ceremony.error ?? state.error);
  return (
    <form
      className="space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        void register();
      }}
    >
      {error && <Alert tone="error">{error}</Alert>}
      {state.success && !error && <Alert tone="success">{state.success}</Alert>}
      <Field id="passkey-name" label="Name this passkey" error={state.fields?.name} hint="So you can tell your passkeys apart, for example “Work laptop”.">
        <Input id="passkey-name" name="name" required maxLength={60} value={name} onChange={(event) => setName(event.target.value)} className="max-w-sm" />
      </Field>
      <Button type="submit" disabled={busy}>
        {busy ? "Waiting for your passkey…" : submitLabel}
      </Button>
    </form>
  );
}
