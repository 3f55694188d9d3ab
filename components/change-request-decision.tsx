"use client";

import { useState } from "react";
import { decideChangeRequestAction } from "@/app/(console)/change-requests/actions";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Textarea } from "./ui/field";
import { useConsoleAction } from "./use-console-action";

/**
 * Approve or reject a pending request with a comment, or withdraw one's own. The requester cannot approve their own
 * request: the server refuses it too.
 */
export function ChangeRequestDecision({ id, own }: { id: string; own: boolean }) {
  const { state, pending, run } = useConsoleAction(decideChangeRequestAction);
  const [comment, setComment] = useState("");
  const decide = (decision: "approve" | "reject" | "cancel") => void run({ id, decision, comment });
  return (
    <div className="space-y-3">
      {state.error && <Alert tone="error">{state.error}</Alert>}
      {state.success && <Alert tone="success">{state.success}</Alert>}
      <Field id={`comment-${id}`} label="Comment (optional)">
        <Textarea id={`comment-${id}`} rows={2} maxLength={500} value={comment} onChange={(event) => setComment(event.target.value)} />
      </Field>
      <div className="flex flex-wrap items-center gap-2">
        {own ? (
          <>
            <Button variant="secondary" disabled={pending} onClick={() => decide("cancel")}>
              Withdraw
            </Button>
            <span className="text-sm text-slate-600">Another admin must approve your request.</span>
          </>
        ) : (
          <>
            <Button disabled={pending} onClick={() => decide("approve")}>
              Approve and apply
            </Button>
            <Button variant="danger" disabled={pending} onClick={() => decide("reject")}>
              Reject
            </Button>
          </>
        )}
      </div>
    </div>
  );
}
