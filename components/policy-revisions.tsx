import Form from "next/form";
import type { PolicyRevision } from "@/db/schema";
import { restorePolicyAction } from "@/app/(console)/policies/actions";
import { diffRevisions } from "@/lib/policies/diff";
import { RuleSetDiff } from "./rule-set-diff";
import { ConfirmActionButton } from "./confirm-action-button";
import { columns, DataTable } from "./data-table";
import { DateTime } from "./date-time";
import { Badge, type BadgeTone } from "./ui/badge";
import { Button } from "./ui/button";
import { Select } from "./ui/field";

const CHANGES: Record<PolicyRevision["change"], { label: string; tone: BadgeTone }> = {
  created: { label: "Created", tone: "green" },
  updated: { label: "Edited", tone: "blue" },
  toggled: { label: "Toggled", tone: "amber" },
  deleted: { label: "Deleted", tone: "red" },
  restored: { label: "Restored", tone: "indigo" },
};

const revisionLabel = (revision: number) => `Revision ${revision}`;

/**
 * A policy's revisions, newest first: what each change left, by whom and when, with Restore for admins; and the
 * difference between any two, picked with a plain GET form (`?from=&to=`), field by field.
 */
export function PolicyRevisions({ policyId, revisions, compare, canRestore }: { policyId: string; revisions: PolicyRevision[]; compare: { from: number; to: number } | null; canRestore: boolean }) {
  const byNumber = new Map(revisions.map((revision) => [revision.revision, revision]));
  const from = compare && byNumber.get(compare.from);
  const to = compare && byNumber.get(compare.to);
  const choice = (name: "from" | "to", selected: number | undefined) => (
    <div className="space-y-1.5">
      <label htmlFor={`revision-${name}`} className="block text-sm font-medium text-slate-800">
        {name === "from" ? "From" : "To"}
      </label>
      <Select id={`revision-${name}`} name={name} defaultValue={selected}>
        {revisions.map((revision) => (
          <option key={revision.revision} value={revision.revision}>
            {revisionLabel(revision.revision)} · {CHANGES[revision.change].label}
          </option>
        ))}
      </Select>
    </div>
  );
  return (
    <div className="space-y-5">
      <DataTable label="Revisions" layout="flush" columns={columns("Revision", "Change", "By", "When", "Actions")} minWidth="min-w-[36rem]">
        {revisions.map((revision, index) => (
          <tr key={revision.revision}>
            <td className="font-medium text-slate-900 tabular-nums">{revision.revision}</td>
            <td>
              <Badge tone={CHANGES[revision.change].tone}>{CHANGES[revision.change].label}</Badge>
              {revision.restoredFrom !== null && <span className="ml-2 text-slate-600">from revision {revision.restoredFrom}</span>}
            </td>
            <td className="text-slate-700">{revision.userEmail ?? "Palisade"}</td>
            <td className="text-slate-700">
              <DateTime value={revision.createdAt} />
            </td>
            <td className="text-right">
              {canRestore && (index > 0 || revision.change === "deleted") && (
                <ConfirmActionButton
                  label="Restore"
                  ariaLabel={`Restore revision ${revision.revision}`}
                  action={restorePolicyAction}
                  payload={{ id: policyId, revision: revision.revision }}
                  dialog={{
                    title: `Restore revision ${revision.revision}?`,
                    confirmLabel: "Restore",
                    body: (
                      <p>
                        The policy takes this revision&apos;s name, description, rules and state ({revision.policy.enabled ? "enabled" : "disabled"}) as a new revision, at once for the whole
                        organization. Nothing is lost: the current state stays in the history.
                      </p>
                    ),
                  }}
                />
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      {revisions.length > 1 && (
        <div className="space-y-4 px-5 pb-5">
          <Form action={`/policies/${encodeURIComponent(policyId)}`} className="flex flex-wrap items-end gap-3" aria-label="Compare revisions">
            {choice("from", from?.revision)}
            {choice("to", to?.revision)}
            <Button type="submit" variant="secondary">
              Compare
            </Button>
          </Form>
          {from && to && (
            <section aria-label={`Revision ${from.revision} compared with revision ${to.revision}`}>
              <RuleSetDiff diff={diffRevisions(from.policy, to.policy)} fromLabel={revisionLabel(from.revision)} toLabel={revisionLabel(to.revision)} describe={(rule) => rule} />
            </section>
          )}
        </div>
      )}
    </div>
  );
}
