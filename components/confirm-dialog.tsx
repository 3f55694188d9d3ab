"use client";

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Button } from "./ui/button";
import { Field, Input } from "./ui/field";

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  tone?: "danger" | "primary";
  /** When set, the confirm button stays disabled until this exact text is typed: for the most destructive changes. */
  typeToConfirm?: string;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal confirmation on the native <dialog>: the browser traps focus inside it, closes it with Escape and
 * returns focus to the button that opened it. Cancel has the initial focus, so a stray Enter changes nothing.
 */
export function ConfirmDialog({ open, title, children, confirmLabel, tone = "danger", typeToConfirm, onConfirm, onCancel }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const typedId = useId();
  const [typed, setTyped] = useState("");

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      setTyped("");
      element.showModal();
    } else if (!open && element.open) {
      element.close();
    }
  }, [open]);

  const confirmable = typeToConfirm === undefined || typed === typeToConfirm;

  return (
    <dialog
      ref={dialog}
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
      className="m-auto w-[calc(100%-2rem)] max-w-md rounded-lg bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
    >
      <form
        method="dialog"
        className="space-y-4 p-6"
        onSubmit={(event) => {
          event.preventDefault();
          if (confirmable) onConfirm();
        }}
      >
        <h2 id={titleId} className="text-lg font-semibold">
          {title}
        </h2>
        <div id={bodyId} className="space-y-2 text-sm text-slate-700">
          {children}
        </div>
        {typeToConfirm !== undefined && (
          <Field id={typedId} label={`Type ${typeToConfirm} to confirm`}>
            <Input id={typedId} value={typed} onChange={(event) => setTyped(event.target.value)} autoComplete="off" spellCheck={false} />
          </Field>
        )}
        <div className="flex flex-wrap justify-end gap-2 pt-2">
          <Button variant="secondary" onClick={onCancel} autoFocus>
            Cancel
          </Button>
          <Button type="submit" variant={tone} disabled={!confirmable}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
