import type { FieldChange, RuleChange, RuleSetDiff as Diff } from "@/lib/diff";
import { columns, DataTable } from "./data-table";
import { Badge, type BadgeTone } from "./ui/badge";
import { cn } from "./ui/cn";

const KIND: Record<RuleChange<unknown>["kind"], { label: string; tone: BadgeTone; border: string }> = {
  added: { label: "Added", tone: "green", border: "border-l-emerald-500" },
  removed: { label: "Removed", tone: "red", border: "border-l-red-500" },
  changed: { label: "Changed", tone: "amber", border: "border-l-amber-500" },
  unchanged: { label: "Unchanged", tone: "neutral", border: "border-l-slate-300" },
};

function formatValue(value: unknown): string {
  if (value === undefined) return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function FieldTable({ changes, fromLabel, toLabel, label }: { changes: FieldChange[]; fromLabel: string; toLabel: string; label: string }) {
  return (
    <DataTable label={label} layout="inset" minWidth="min-w-[24rem]" columns={columns("Field", fromLabel, toLabel)}>
      {changes.map((change) => (
        <tr key={change.path} className="font-mono text-xs">
          <th scope="row" className="font-medium text-slate-900">
            {change.path}
          </th>
          <td className="break-all text-red-800">
            <del className="no-underline">{formatValue(change.from)}</del>
          </td>
          <td className="break-all text-emerald-800">
            <ins className="no-underline">{formatValue(change.to)}</ins>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

function position<R>(change: RuleChange<R>, fromLabel: string, toLabel: string): string {
  switch (change.kind) {
    case "added":
      return `#${change.toIndex + 1} in ${toLabel}`;
    case "removed":
      return `#${change.fromIndex + 1} in ${fromLabel}`;
    default:
      return change.fromIndex === change.toIndex ? `#${change.toIndex + 1}` : `#${change.toIndex + 1} in ${toLabel}, was #${change.fromIndex + 1}`;
  }
}

/**
 * What changed between two rule sets (two agent policy versions, two revisions of a security policy): their details,
 * then each rule added, removed, changed or left alone. `describe` says a rule in words; `typeLabel` names a rule's
 * type, for rule sets whose rules have one.
 */
export function RuleSetDiff<R>({
  diff,
  fromLabel,
  toLabel,
  describe,
  typeLabel,
}: {
  diff: Diff<R>;
  fromLabel: string;
  toLabel: string;
  describe: (rule: R) => string;
  typeLabel?: (type: string) => string;
}) {
  const { counts } = diff;
  const identical = diff.fields.length === 0 && counts.added + counts.removed + counts.changed === 0;
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-700" role="status">
        {identical
          ? "No differences: both have the same details and rules."
          : `${counts.added} added, ${counts.removed} removed, ${counts.changed} changed, ${counts.unchanged} unchanged rules.`}
      </p>
      {diff.fields.length > 0 && <FieldTable changes={diff.fields} fromLabel={fromLabel} toLabel={toLabel} label="Details that changed" />}
      <ol aria-label="Rule changes" className="space-y-3">
        {diff.rules.map((change, index) => {
          const kind = KIND[change.kind];
          return (
            <li key={index} className={cn("rounded-md border border-l-4 border-slate-200 bg-white p-4", kind.border)}>
              <div className="flex flex-wrap items-center gap-2 text-sm">
                <Badge tone={kind.tone}>{kind.label}</Badge>
                {typeLabel && <Badge tone="indigo">{typeLabel(change.type)}</Badge>}
                <span className="text-slate-600">Rule {position(change, fromLabel, toLabel)}</span>
              </div>
              {change.kind === "changed" ? (
                <div className="mt-3 space-y-3">
                  <dl className="grid gap-x-3 gap-y-1 text-sm sm:grid-cols-[auto_1fr]">
                    <dt className="font-medium text-slate-600">{fromLabel}</dt>
                    <dd className="text-slate-800">{describe(change.from)}</dd>
                    <dt className="font-medium text-slate-600">{toLabel}</dt>
                    <dd className="text-slate-800">{describe(change.to)}</dd>
                  </dl>
                  <FieldTable changes={change.fields} fromLabel={fromLabel} toLabel={toLabel} label={`Fields of rule #${change.toIndex + 1} that changed`} />
                </div>
              ) : (
                <p className="mt-2 text-sm text-slate-800">{describe(change.rule)}</p>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
