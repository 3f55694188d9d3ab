"use client";

import { useState } from "react";
import { renamePasskeyAction } from "@/app/(console)/settings/account/actions";
import { Button } from "./ui/button";
import { Input } from "./ui/field";
import { useConsoleAction } from "./use-console-action";

/** A passkey's name, with a button that turns it into a one-field form. */
export function PasskeyRenameForm({ id, name }: { id: string; name: string }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(name);
  const { state, pending, run } = useConsoleAction(renamePasskeyAction);

  if (!editing) {
    return (
      <span className="inline-flex items-center gap-2">
        <span className="font-medium text-slate-900">{name}</span>
        <Button variant="ghost" size="sm" aria-label={`Rename passkey ${name}`} onClick={() => setEditing(true)}>
          Rename
        </Button>
      </span>
    );
  }
  return (
    <form
      className="flex flex-wrap items-start gap-2"
      onSubmit={async (event) => {
        event.preventDefault();
        if ((await run({ id, name: draft })).success) setEditing(false);
      }}
    >
      <div>
        <Input aria-label="New name" value={draft} maxLength={60} required onChange={(event) => setDraft(event.target.value)} className="max-w-56" />
        {(state.fields?.name ?? state.error) && (
          <p role="alert" className="mt-1 text-xs text-red-700">
            {state.fields?.name ?? state.error}
          </p>
        )}
      </div>
      <Button type="submit" size="sm" disabled={pending}>
        Save
      </Button>
      <Button variant="ghost" size="sm" onClick={() => setEditing(false)}>
        Cancel
      </Button>
    </form>
  );
}
