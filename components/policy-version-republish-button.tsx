import { republishPolicyVersionAction } from "@/app/(console)/agent-policy/actions";
import { formatVersion } from "@/lib/agent-policy/rules";
import { ConfirmAction } from "./agent-confirm-action";

/** Rollback, confirmed first: an old version published again as the next one. */
export function PolicyVersionRepublishButton({ version, activeVersion }: { version: number; activeVersion: number }) {
  const label = formatVersion(version);
  const next = formatVersion(activeVersion + 1);
  return (
    <ConfirmAction
      action={republishPolicyVersionAction}
      fields={{ version: String(version) }}
      label="Republish"
      accessibleLabel={`Republish ${label}`}
      title={`Republish ${label}?`}
      description={`Its rules, name and description are published again as ${next}, which becomes active and is pushed to every connected agent.`}
      confirmLabel={`Republish as ${next}`}
      pendingLabel="Republishing…"
      variant="primary"
    />
  );
}
