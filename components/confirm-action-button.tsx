"use client";

import { useState, type ReactNode } from "react";
import type { FormState } from "@/lib/forms";
import { ActionOutcome } from "./action-outcome";
import { ConfirmDialog, type ConfirmDialogProps } from "./confirm-dialog";
import { Button, type ButtonProps } from "./ui/button";
import { useConsoleAction } from "./use-console-action";

export interface ConfirmActionButtonProps<P> {
  /** The button's text. */
  label: string;
  /** An accessible name when the label alone is ambiguous, e.g. "Revoke token laptop". */
  ariaLabel?: string;
  variant?: ButtonProps["variant"];
  dialog: Pick<ConfirmDialogProps, "title" | "confirmLabel" | "tone" | "typeToConfirm"> & { body: ReactNode };
  action: (previous: FormState | undefined, payload: P) => Promise<FormState>;
  payload: P;
  /** Show the action's success message too, for a button that stays on the page afterwards (a rollback). */
  showSuccess?: boolean;
}

/** A button that asks for confirmation in a modal, then runs a server action and shows its outcome beside it. */
export function ConfirmActionButton<P>({ label, ariaLabel, variant = "secondary", dialog, action, payload, showSuccess = false }: ConfirmActionButtonProps<P>) {
  const [open, setOpen] = useState(false);
  const { state, pending, run } = useConsoleAction(action);
  // The last outcome is hidden while the next one is on its way.
  const result: FormState = pending ? {} : state;

  const confirm = () => {
    setOpen(false);
    void run(payload);
  };

  return (
    <span className="inline-flex flex-col items-start gap-1">
      <Button variant={variant} size="sm" aria-label={ariaLabel} onClick={() => setOpen(true)} disabled={pending}>
        {pending ? "Working…" : label}
      </Button>
      <ActionOutcome result={result} showSuccess={showSuccess} />
      <ConfirmDialog
        open={open}
        title={dialog.title}
        confirmLabel={dialog.confirmLabel}
        tone={dialog.tone}
        typeToConfirm={dialog.typeToConfirm}
        onConfirm={confirm}
        onCancel={() => setOpen(false)}
      >
        {dialog.body}
      </ConfirmDialog>
    </span>
  );
}
