"use client";

import { useOptimistic, useState, useTransition } from "react";
import { togglePolicyAction } from "@/app/(console)/policies/actions";
import { MFA_POLICY_ID } from "@/lib/policies/defaults";
import { ConfirmDialog } from "./confirm-dialog";
import { CRITICAL_POLICY_REASONS, MFA_DISABLE_WARNING } from "./critical-policies";
import { cn } from "./ui/cn";
import { useConsoleAction } from "./use-console-action";

export interface PolicyToggleProps {
  id: string;
  name: string;
  enabled: boolean;
  critical: boolean;
}

/** What turning a critical policy on or off means, for its confirmation. */
function CriticalConsequences({ id, name, enabling }: { id: string; name: string; enabling: boolean }) {
  const reason = CRITICAL_POLICY_REASONS[id];
  if (enabling) {
    return (
      <>
        <p>
          {name} is a critical policy. {reason}
        </p>
        {id === MFA_POLICY_ID && (
          <p>
            Everyone must then sign in with an authentication code: users without an authenticator must set one up before they continue, and
            anyone signed in without a code (you too, if you did) must sign in again.
          </p>
        )}
      </>
    );
  }
  return (
    <>
      {id === MFA_POLICY_ID && <p className="font-semibold text-red-800">{MFA_DISABLE_WARNING}</p>}
      <p>
        {name} is a critical policy and should remain enabled in production. {reason}
      </p>
      {id === MFA_POLICY_ID && <p>While it is off, users sign in with their password alone.</p>}
    </>
  );
}

/**
 * The enabled switch of a policy: a real `role="switch"` button (Space and Enter toggle it). It flips at
 * once, and flips back with the server's reason if the server refuses. Critical policies ask first.
 */
export function PolicyToggle({ id, name, enabled, critical }: PolicyToggleProps) {
  const [shownEnabled, setShownEnabled] = useOptimistic(enabled);
  const toggle = useConsoleAction(togglePolicyAction);
  // The switch's own transition: it lasts as long as the action's, and the optimistic value with it.
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const target = !shownEnabled;

  const commit = () => {
    setConfirming(false);
    setError(null);
    startTransition(async () => {
      setShownEnabled(target);
      const result = await toggle.run({ id, enabled: target });
      // The optimistic state falls back to the server's value when the transition ends: a refusal rolls back.
      if (result.error) setError(`Could not ${target ? "enable" : "disable"} ${name}: ${result.error}`);
    });
  };

  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex items-center gap-2">
        <span className={cn("text-sm font-medium", shownEnabled ? "text-emerald-800" : "text-slate-600")} aria-hidden="true">
          {shownEnabled ? "Enabled" : "Disabled"}
        </span>
        <button
          type="button"
          role="switch"
          aria-checked={shownEnabled}
          aria-label={name}
          aria-busy={pending}
          onClick={() => {
            if (pending) return;
            if (critical) setConfirming(true);
            else commit();
          }}
          className={cn(
            "relative inline-flex h-6 w-11 shrink-0 cursor-pointer rounded-full border-2 border-transparent transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600",
            shownEnabled ? "bg-emerald-600" : "bg-slate-400",
            pending && "opacity-70",
          )}
        >
          <span
            aria-hidden="true"
            className={cn("pointer-events-none inline-block h-5 w-5 rounded-full bg-white shadow transition-transform", shownEnabled ? "translate-x-5" : "translate-x-0")}
          />
        </button>
      </div>
      {error && (
        <p role="alert" className="max-w-xs text-right text-xs font-medium text-red-700">
          {error}
        </p>
      )}
      {critical && (
        <ConfirmDialog
          open={confirming}
          title={`${target ? "Enable" : "Disable"} ${name}?`}
          confirmLabel={target ? `Enable ${name}` : `Disable ${name}`}
          tone={target ? "primary" : "danger"}
          onConfirm={commit}
          onCancel={() => setConfirming(false)}
        >
          <CriticalConsequences id={id} name={name} enabling={target} />
        </ConfirmDialog>
      )}
    </div>
  );
}
