"use client";

import { useState } from "react";
import { createTokenAction } from "@/app/(console)/settings/tokens/actions";
import { CopyButton } from "./copy-button";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Input } from "./ui/field";
import { invalidProps, useConsoleForm } from "./use-console-action";

/** Creates a token for the signed-in user and shows its secret once, with a copy button. */
export function TokenCreateForm() {
  const { state, pending, formProps } = useConsoleForm(createTokenAction);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const created = state.data && state.data.secret !== dismissed ? state.data : null;

  return (
    <div className="space-y-4">
      {created && (
        <Alert tone="success" title={`Token “${created.name}” created`}>
          <p>Copy it now and store it somewhere safe: it is shown only this once, and Palisade keeps only a hash of it.</p>
          <div className="mt-3 flex flex-wrap items-center gap-2">
            <code data-testid="new-token" className="rounded bg-white px-2 py-1 font-mono text-xs break-all text-slate-900 ring-1 ring-emerald-200">
              {created.secret}
            </code>
            <CopyButton value={created.secret} label="Copy token" />
            <Button variant="ghost" size="sm" onClick={() => setDismissed(created.secret)}>
              I have stored it
            </Button>
          </div>
        </Alert>
      )}
      {state.error && <Alert tone="error">{state.error}</Alert>}
      <form {...formProps} aria-label="Create an API token" className="grid items-start gap-4 sm:grid-cols-[2fr_1fr_auto]">
        <Field id="token-name" label="Name" hint="What the token is for, e.g. “CI pipeline”." error={state.fields?.name}>
          <Input id="token-name" name="name" required maxLength={100} aria-describedby="token-name-hint" {...invalidProps(state.fields, "name", "token-name")} />
        </Field>
        <Field id="token-expiry" label="Expires after (days)" hint="Blank: never expires." error={state.fields?.expires_days}>
          <Input
            id="token-expiry"
            name="expires_days"
            type="number"
            min={1}
            max={3650}
            inputMode="numeric"
            aria-describedby="token-expiry-hint"
            {...invalidProps(state.fields, "expires_days", "token-expiry")}
          />
        </Field>
        <Button type="submit" disabled={pending} className="sm:mt-6">
          {pending ? "Creating…" : "Create token"}
        </Button>
      </form>
    </div>
  );
}
