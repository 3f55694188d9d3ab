"use client";

import { createEnrollmentKeyAction } from "@/app/(console)/agents/enrollment-keys/actions";
import { CopyButton } from "./copy-button";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Input } from "./ui/field";
import { useConsoleForm } from "./use-console-action";

/** Creates an enrollment key and shows it the one time it exists in clear. */
export function EnrollmentKeyForm() {
  const { state, pending, formProps } = useConsoleForm(createEnrollmentKeyAction, { reset: "after-every-answer" });
  const invalid = (name: string) => (state.fields?.[name] ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : { "aria-describedby": `${name}-hint` });

  return (
    <div className="space-y-4">
      {state.data && (
        <Alert tone="success" title="Enrollment key created: copy it now, it is shown only once">
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <code data-testid="enrollment-key" className="break-all rounded bg-white px-2 py-1 font-mono text-sm text-slate-900 ring-1 ring-emerald-200">
              {state.data.key}
            </code>
            <CopyButton value={state.data.key} label="Copy key" />
          </div>
          <p className="mt-2">
            Enrol a host with <code className="font-mono text-xs">npm run agent -- --server URL --enroll KEY</code>.
          </p>
        </Alert>
      )}
      {state.error && <Alert tone="error">{state.error}</Alert>}
      <form {...formProps} className="flex flex-col gap-4 sm:flex-row sm:items-start">
        <Field id="uses" label="Uses (optional)" hint="How many agents it can enrol. Empty: unlimited." error={state.fields?.uses}>
          <Input id="uses" name="uses" inputMode="numeric" className="sm:w-40" {...invalid("uses")} />
        </Field>
        <Field id="expiresHours" label="Expires in hours (optional)" hint="Empty: 24 hours. At most 8760 (a year)." error={state.fields?.expiresHours}>
          <Input id="expiresHours" name="expiresHours" inputMode="decimal" className="sm:w-40" {...invalid("expiresHours")} />
        </Field>
        <Button type="submit" disabled={pending} className="sm:mt-7">
          {pending ? "Creating…" : "Create enrollment key"}
        </Button>
      </form>
    </div>
  );
}
