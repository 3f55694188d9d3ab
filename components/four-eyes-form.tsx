"use client";

import { setFourEyesAction } from "@/app/(console)/change-requests/actions";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { useConsoleAction } from "./use-console-action";

/** Turns four-eyes on, or asks for it to be turned off (which itself needs a second admin while it is on). */
export function FourEyesForm({ on }: { on: boolean }) {
  const { state, pending, run } = useConsoleAction(setFourEyesAction);
  return (
    <div className="space-y-3">
      {state.error && <Alert tone="info">{state.error}</Alert>}
      {state.success && <Alert tone="success">{state.success}</Alert>}
      <Button variant={on ? "secondary" : "primary"} disabled={pending} onClick={() => void run({ fourEyes: !on })}>
        {on ? "Turn four-eyes approval off" : "Turn four-eyes approval on"}
      </Button>
    </div>
  );
}
