import Link from "next/link";
import type { AuditLog } from "@/db/schema";
import { auditActionLabel } from "./audit-labels";
import { AuditDiff } from "./audit-diff";
import { columns, DataTable } from "./data-table";
import { DateTime } from "./date-time";
import { formatDateTime } from "./format";
import { Badge } from "./ui/badge";

const AUDIT_COLUMNS = columns("Time", "Action", "Result", "Resource", "User", "Details");

const linkClass = "text-indigo-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600";

/** Where a resource is shown: a policy's page, the change requests, else the audit log filtered to it. */
function resourceHref(resource: string): string {
  if (resource.startsWith("policy:")) return `/policies/${encodeURIComponent(resource.slice("policy:".length))}`;
  if (resource.startsWith("change-request:")) return "/change-requests";
  return `/audit?resource=${encodeURIComponent(resource)}`;
}

function Result({ success }: { success: boolean }) {
  return success ? <Badge tone="green">Success</Badge> : <Badge tone="red">Failed</Badge>;
}

function When({ date }: { date: Date }) {
  const [day, time] = formatDateTime(date).split(" ");
  return (
    <time dateTime={date.toISOString()} className="tabular-nums">
      <span className="block">{day}</span>
      <span className="block text-xs text-slate-600">{time} UTC</span>
    </time>
  );
}

/** The latest entries as a short feed, for the overview's narrow column. */
export function AuditFeed({ entries }: { entries: AuditLog[] }) {
  return (
    <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
      {entries.map((entry) => (
        <li key={entry.seq} className="flex items-start justify-between gap-3 px-4 py-3 text-sm">
          <div className="min-w-0">
            <p className="font-medium text-slate-900">
              {auditActionLabel(entry.action)}{" "}
              <Link href={resourceHref(entry.resource)} className={`font-mono text-xs font-normal [overflow-wrap:anywhere] ${linkClass}`}>
                {entry.resource}
              </Link>
            </p>
            <p className="mt-0.5 text-xs text-slate-600 [overflow-wrap:anywhere]">
              {entry.userEmail ?? "System"} · <DateTime value={entry.createdAt} />
            </p>
          </div>
          <Result success={entry.success} />
        </li>
      ))}
    </ul>
  );
}

/**
 * Audit entries, newest first, each with a before/after view where the entry has snapshots.
 */
export function AuditTable({ entries, label }: { entries: AuditLog[]; label: string }) {
  return (
    <DataTable label={label} columns={AUDIT_COLUMNS} minWidth="min-w-[52rem]">
      {entries.map((entry) => (
        <tr key={entry.seq} data-testid="audit-row">
          <td className="whitespace-nowrap text-slate-700">
            <When date={entry.createdAt} />
          </td>
          <td>
            <span className="block font-medium text-slate-900">{auditActionLabel(entry.action)}</span>
            <span className="block font-mono text-xs text-slate-600">{entry.action}</span>
          </td>
          <td>
            <Result success={entry.success} />
          </td>
          <td className="max-w-56 min-w-36 font-mono text-xs [overflow-wrap:anywhere]">
            <Link href={resourceHref(entry.resource)} className={linkClass}>
              {entry.resource}
            </Link>
          </td>
          <td className="max-w-56 min-w-36 text-slate-700 [overflow-wrap:anywhere]">
            {entry.userEmail ?? <span className="text-slate-600 italic">System</span>}
            {entry.ip && <span className="block text-xs text-slate-600">from {entry.ip}</span>}
          </td>
          <td className="min-w-56 text-slate-700">
            <p className="[overflow-wrap:anywhere]">{entry.details}</p>
            {entry.action === "delete_policy" && entry.success && (
              <Link href="/policies?type=deleted" className={`mt-1 inline-block text-xs font-medium ${linkClass}`}>
                Restore it from Deleted policies
              </Link>
            )}
            {(entry.before !== null || entry.after !== null) && (
              <details className="mt-2">
                <summary className="cursor-pointer text-xs font-medium text-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600">
                  Before / after
                </summary>
                <div className="mt-2 overflow-x-auto rounded border border-slate-200 bg-white p-2">
                  <AuditDiff before={entry.before} after={entry.after} />
                </div>
              </details>
            )}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
