"use client";

import { createDestinationAction, editDestinationAction } from "@/app/(console)/settings/audit-streaming/actions";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Input, Textarea } from "./ui/field";
import { invalidProps, useConsoleForm } from "./use-console-action";

export interface EditedDestination {
  id: string;
  url: string;
  actions: string[] | null;
}

/**
 * Adds an audit streaming destination, or edits one (`destination`): URL, actions, and the secret, which is
 * entered once and never shown again (blank when editing keeps it).
 */
export function AuditDestinationForm({ destination }: { destination?: EditedDestination }) {
  const { state, pending, formProps } = useConsoleForm(destination ? editDestinationAction : createDestinationAction);
  // An unknown action is reported at its place in the list ("actions.2").
  const actionsError = Object.entries(state.fields ?? {}).find(([key]) => key === "actions" || key.startsWith("actions."))?.[1];
  const prefix = destination ? `destination-${destination.id}` : "destination-new";
  return (
    <form {...formProps} aria-label={destination ? `Edit destination ${destination.url}` : "Add a destination"} className="space-y-4">
      {state.error && <Alert tone="error">{state.error}</Alert>}
      {state.success && (
        <p role="status" className="text-sm font-medium text-emerald-700">
          {state.success}
        </p>
      )}
      {destination && <input type="hidden" name="id" value={destination.id} />}
      <div className="grid items-start gap-4 sm:grid-cols-2">
        <Field id={`${prefix}-url`} label="URL" hint="https:// only; private and loopback addresses are refused unless WEBHOOK_ALLOW_PRIVATE=true." error={state.fields?.url}>
          <Input
            id={`${prefix}-url`}
            name="url"
            type="url"
            required
            maxLength={2048}
            defaultValue={destination?.url}
            placeholder="https://siem.example.com/palisade"
            aria-describedby={`${prefix}-url-hint`}
            {...invalidProps(state.fields, "url", `${prefix}-url`)}
          />
        </Field>
        <Field
          id={`${prefix}-secret`}
          label={destination ? "New secret (optional)" : "Secret"}
          hint={destination ? "Blank keeps the current secret. Entering one rotates it." : "At least 16 characters, shared with the receiver to check X-Palisade-Signature. Shown never again."}
          error={state.fields?.secret}
        >
          <Input
            id={`${prefix}-secret`}
            name="secret"
            type="password"
            autoComplete="off"
            required={!destination}
            minLength={16}
            maxLength={512}
            aria-describedby={`${prefix}-secret-hint`}
            {...invalidProps(state.fields, "secret", `${prefix}-secret`)}
          />
        </Field>
      </div>
      <Field id={`${prefix}-actions`} label="Actions" hint="Audit actions to send, separated by commas or spaces (e.g. delete_policy, login_failed). Blank: every action." error={actionsError}>
        <Textarea
          id={`${prefix}-actions`}
          name="actions"
          rows={2}
          defaultValue={destination?.actions?.join(", ") ?? ""}
          aria-describedby={`${prefix}-actions-hint`}
          {...invalidProps(actionsError ? { actions: actionsError } : undefined, "actions", `${prefix}-actions`)}
        />
      </Field>
      <Button type="submit" disabled={pending}>
        {pending ? "Saving…" : destination ? "Save" : "Add destination"}
      </Button>
    </form>
  );
}
