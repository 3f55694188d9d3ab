"use client";

import { setupAction } from "@/app/(auth)/setup/actions";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Input } from "./ui/field";
import { useConsoleForm } from "./use-console-action";

export function SetupForm() {
  const { state, pending, formProps } = useConsoleForm(setupAction, { reset: "after-every-answer" });
  const invalid = (name: string) => (state.fields?.[name] ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {});
  return (
    <form {...formProps} className="space-y-5">
      <div>
        <h1 className="text-lg font-semibold text-slate-900">Set up Palisade</h1>
        <p className="mt-1 text-sm text-slate-600">Create your organization and its first admin. This page disappears once it is done.</p>
      </div>
      {state.error && <Alert tone="error">{state.error}</Alert>}
      <Field id="organization" label="Organization" error={state.fields?.organization}>
        <Input id="organization" name="organization" required maxLength={100} autoComplete="organization" {...invalid("organization")} />
      </Field>
      <Field id="email" label="Admin email" error={state.fields?.email}>
        <Input id="email" name="email" type="email" required autoComplete="username" {...invalid("email")} />
      </Field>
      <Field id="password" label="Password" hint="At least 12 characters, and not a common password." error={state.fields?.password}>
        <Input id="password" name="password" type="password" required minLength={12} autoComplete="new-password" {...invalid("password")} />
      </Field>
      <Field id="confirm" label="Confirm password" error={state.fields?.confirm}>
        <Input id="confirm" name="confirm" type="password" required autoComplete="new-password" {...invalid("confirm")} />
      </Field>
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Creating…" : "Create admin account"}
      </Button>
    </form>
  );
}
