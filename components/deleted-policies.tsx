import type { PolicyRevision } from "@/db/schema";
import { restorePolicyAction } from "@/app/(console)/policies/actions";
import { ConfirmActionButton } from "./confirm-action-button";
import { columns, DataTable } from "./data-table";
import { DateTime } from "./date-time";
import { EmptyState } from "./empty-state";
import { POLICY_TYPE_LABELS, POLICY_TYPE_TONES } from "./policy-labels";
import { Badge } from "./ui/badge";

/** Deleted policies, each with its last revision (the state it was deleted in), and Restore for admins. */
export function DeletedPolicies({ deleted, canRestore }: { deleted: PolicyRevision[]; canRestore: boolean }) {
  if (deleted.length === 0) return <EmptyState title="No deleted policies">A deleted policy keeps its revisions and shows here, so it can be restored.</EmptyState>;
  return (
    <DataTable label="Deleted policies" columns={columns("Policy", "Type", "Deleted by", "Deleted", "Actions")} minWidth="min-w-[40rem]">
      {deleted.map(({ policyId, revision, policy, userEmail, createdAt }) => (
        <tr key={policyId}>
          <td>
            <span className="font-medium text-slate-900">{policy.name}</span>
            <span className="ml-2 font-mono text-xs text-slate-500">{policyId}</span>
          </td>
          <td>
            <Badge tone={POLICY_TYPE_TONES[policy.type]}>{POLICY_TYPE_LABELS[policy.type]}</Badge>
          </td>
          <td className="text-slate-700">{userEmail ?? "Palisade"}</td>
          <td className="text-slate-700">
            <DateTime value={createdAt} />
          </td>
          <td className="text-right">
            {canRestore && (
              <ConfirmActionButton
                label="Restore"
                ariaLabel={`Restore ${policy.name}`}
                action={restorePolicyAction}
                payload={{ id: policyId, revision }}
                dialog={{
                  title: `Restore ${policy.name}?`,
                  confirmLabel: "Restore policy",
                  body: <p>It comes back as it was when deleted ({policy.enabled ? "enabled" : "disabled"}, {policy.rules.length} rules), with its history.</p>,
                }}
              />
            )}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
