"use client";

import { useActionState, useId, useRef } from "react";
import type { FormState } from "@/lib/forms";
import { Alert } from "./ui/alert";
import { Button, type ButtonProps } from "./ui/button";

export interface ConfirmActionProps {
  action: (previous: FormState, form: FormData) => Promise<FormState>;
  /** Hidden form fields sent to the action. */
  fields: Record<string, string>;
  /** The button that opens the confirmation. */
  label: string;
  /** Its accessible name when the label alone is ambiguous (several on one page). */
  accessibleLabel?: string;
  title: string;
  description: string;
  confirmLabel: string;
  pendingLabel: string;
  variant?: ButtonProps["variant"];
}

/**
 * A button that asks before it acts: a modal <dialog> (which traps focus and closes on Escape) whose
 * confirm button submits the server action. The outcome is shown beside the button.
 */
export function ConfirmAction({ action, fields, label, accessibleLabel, title, description, confirmLabel, pendingLabel, variant = "danger" }: ConfirmActionProps) {
  const [state, formAction, pending] = useActionState(action, {});
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();

  return (
    <div className="space-y-2">
      <Button variant="secondary" size="sm" disabled={pending} aria-label={accessibleLabel} onClick={() => dialog.current?.showModal()}>
        {pending ? pendingLabel : label}
      </Button>
      {state.error && <Alert tone="error">{state.error}</Alert>}
      {state.success && <Alert tone="success">{state.success}</Alert>}
      <dialog
        ref={dialog}
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-description`}
        className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-lg bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
      >
        <form action={formAction} onSubmit={() => dialog.current?.close()} className="space-y-4 p-5">
          <h2 id={`${id}-title`} className="text-base font-semibold">
            {title}
          </h2>
          <p id={`${id}-description`} className="text-sm text-slate-600">
            {description}
          </p>
          {Object.entries(fields).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          <div className="flex flex-wrap justify-end gap-2">
            <Button variant="secondary" autoFocus onClick={() => dialog.current?.close()}>
              Cancel
            </Button>
            <Button type="submit" variant={variant}>
              {confirmLabel}
            </Button>
          </div>
        </form>
      </dialog>
    </div>
  );
}
