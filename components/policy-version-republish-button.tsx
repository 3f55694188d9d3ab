import { republishPolicyVersionAction } from "@/app/(console)/agent-policy/actions";
import { formatVersion } from "@/lib/agent-policy/rules";
import { ConfirmActionButton } from "./confirm-action-button";

/** Rollback, confirmed first: an old version published again as the next one (`highestVersion` + 1), to the whole fleet. */
export function PolicyVersionRepublishButton({ version, highestVersion }: { version: number; highestVersion: number }) {
  const label = formatVersion(version);
  const next = formatVersion(highestVersion + 1);
  return (
    <ConfirmActionButton
      label="Republish"
      ariaLabel={`Republish ${label}`}
      action={republishPolicyVersionAction}
      payload={{ version }}
      showSuccess
      dialog={{
        title: `Republish ${label}?`,
        confirmLabel: `Republish as ${next}`,
        tone: "primary",
        body: <p>Its rules, name and description are published again as {next}, which becomes active and is pushed to every connected agent.</p>,
      }}
    />
  );
}
