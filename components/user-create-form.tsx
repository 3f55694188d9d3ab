"use client";

import { createUserAction } from "@/app/(console)/settings/users/actions";
import { ROLES } from "@/lib/users/roles";
import { NewPasswordField } from "./new-password-field";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Input, Select } from "./ui/field";
import { invalidProps, useConsoleForm } from "./use-console-action";

const ROLE_LABELS = { admin: "Admin (reads and writes)", viewer: "Viewer (read-only)" } as const;

export function UserCreateForm({ minPasswordLength }: { minPasswordLength: number }) {
  const { state, pending, formProps } = useConsoleForm(createUserAction);

  return (
    <form {...formProps} aria-label="Create a user" className="space-y-4">
      {state.error && <Alert tone="error">{state.error}</Alert>}
      {state.success && <Alert tone="success">{state.success}</Alert>}
      <div className="grid items-start gap-4 md:grid-cols-3">
        <Field id="new-user-email" label="Email" error={state.fields?.email}>
          <Input id="new-user-email" name="email" type="email" required autoComplete="off" {...invalidProps(state.fields, "email", "new-user-email")} />
        </Field>
        <Field id="new-user-role" label="Role" error={state.fields?.role}>
          <Select id="new-user-role" name="role" defaultValue="viewer" {...invalidProps(state.fields, "role", "new-user-role")}>
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {ROLE_LABELS[role]}
              </option>
            ))}
          </Select>
        </Field>
        <NewPasswordField id="new-user-password" name="password" label="Initial password" minLength={minPasswordLength} fields={state.fields} />
      </div>
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create user"}
      </Button>
    </form>
  );
}
