"use client";

import { changePasswordAction } from "@/app/(console)/settings/account/actions";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { NewPasswordField } from "./new-password-field";
import { Field, Input } from "./ui/field";
import { invalidProps, useConsoleForm } from "./use-console-action";

/** Changes the signed-in user's password; on success the server ends every session and sends them to sign in. */
export function PasswordChangeForm({ minPasswordLength }: { minPasswordLength: number }) {
  const { state, pending, formProps } = useConsoleForm(changePasswordAction);

  return (
    <form {...formProps} aria-label="Change your password" className="max-w-md space-y-4">
      {state.error && <Alert tone="error">{state.error}</Alert>}
      <Field id="current-password" label="Current password" error={state.fields?.current_password}>
        <Input id="current-password" name="current_password" type="password" required autoComplete="current-password" {...invalidProps(state.fields, "current_password", "current-password")} />
      </Field>
      <NewPasswordField id="new-password" name="new_password" label="New password" minLength={minPasswordLength} fields={state.fields} />
      <Field id="confirm-password" label="New password, again" error={state.fields?.confirm_password}>
        <Input id="confirm-password" name="confirm_password" type="password" required autoComplete="new-password" {...invalidProps(state.fields, "confirm_password", "confirm-password")} />
      </Field>
      <Button type="submit" disabled={pending}>
        {pending ? "Changing…" : "Change password"}
      </Button>
    </form>
  );
}
