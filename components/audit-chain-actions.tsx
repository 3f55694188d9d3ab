"use client";

import type { FormState } from "@/lib/forms";
import { ActionOutcome } from "./action-outcome";
import { Button } from "./ui/button";
import { useConsoleAction } from "./use-console-action";

type Action = (previous: FormState | undefined, payload: Record<string, never>) => Promise<FormState>;

function ActionButton({ label, action }: { label: string; action: Action }) {
  const { state, pending, run } = useConsoleAction(action);
  const result: FormState = pending ? {} : state;
  return (
    <span className="inline-flex flex-col items-start gap-1">
      <Button variant="secondary" size="sm" onClick={() => void run({})} disabled={pending}>
        {pending ? "Working…" : label}
      </Button>
      <ActionOutcome result={result} />
    </span>
  );
}

/** The admin's buttons beside the chain's state: sign a checkpoint of the head now, or verify every row now. */
export function AuditChainActions({ signCheckpoint, verifyNow }: { signCheckpoint: Action; verifyNow: Action }) {
  return (
    <div className="flex flex-wrap gap-2">
      <ActionButton label="Sign a checkpoint now" action={signCheckpoint} />
      <ActionButton label="Verify now" action={verifyNow} />
    </div>
  );
}
