import { abortPolicyVersionAction, promotePolicyVersionAction } from "@/app/(console)/agent-policy/actions";
import { formatVersion } from "@/lib/agent-policy/rules";
import { ConfirmActionButton } from "./confirm-action-button";

/** Promote and Abort for the rollout in progress, each confirmed first (admins only: the page leaves them out for viewers). */
export function PolicyRolloutButtons({ version, selector, activeVersion }: { version: number; selector: string; activeVersion: number | null }) {
  const label = formatVersion(version);
  const fleet = activeVersion === null ? null : formatVersion(activeVersion);
  return (
    <div className="flex flex-wrap items-start gap-3">
      <ConfirmActionButton
        label="Promote to the whole fleet"
        variant="primary"
        action={promotePolicyVersionAction}
        payload={{ version }}
        dialog={{
          title: `Promote ${label} to the whole fleet?`,
          confirmLabel: `Promote ${label}`,
          tone: "primary",
          body: (
            <p>
              {label} becomes the active version: every agent, not only those matching <code className="font-mono">{selector}</code>, is told to apply it
              {fleet ? `, in place of ${fleet}` : ""}.
            </p>
          ),
        }}
      />
      <ConfirmActionButton
        label="Abort"
        variant="secondary"
        action={abortPolicyVersionAction}
        payload={{ version }}
        dialog={{
          title: `Abort the rollout of ${label}?`,
          confirmLabel: "Abort the rollout",
          tone: "danger",
          body: (
            <p>
              The agents matching <code className="font-mono">{selector}</code> {fleet ? `go back to ${fleet}, the active version` : "are left with no version"}. {label} stays in the history,
              marked aborted; you can publish again afterwards.
            </p>
          ),
        }}
      />
    </div>
  );
}
