"use client";

import { relabelAgentAction } from "@/app/(console)/agents/[id]/actions";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Field, Textarea } from "./ui/field";
import { useConsoleForm } from "./use-console-action";

/** An agent's labels, one `name=value` per line: what rollout selectors match. */
export function AgentLabelsForm({ agentId, labels }: { agentId: string; labels: Record<string, string> }) {
  const { state, pending, formProps } = useConsoleForm(relabelAgentAction);
  const text = Object.entries(labels)
    .map(([name, value]) => `${name}=${value}`)
    .join("\n");
  return (
    <form {...formProps} className="space-y-3">
      {state.error && <Alert tone="error">{state.error}</Alert>}
      {state.success && <Alert tone="success">{state.success}</Alert>}
      <input type="hidden" name="id" value={agentId} />
      <Field id="agent-labels" label="Labels, one name=value per line" error={state.fields?.labels}>
        <Textarea id="agent-labels" name="labels" rows={4} defaultValue={text} className="font-mono" placeholder="ring=canary" />
      </Field>
      <Button type="submit" variant="secondary" disabled={pending}>
        Save labels
      </Button>
    </form>
  );
}
