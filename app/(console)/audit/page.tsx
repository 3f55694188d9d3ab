import type { Metadata } from "next";
import Link from "next/link";
import { auditLogFilter, exportSearchParams, MAX_EXPORT_ROWS, type ExportFormat } from "@/lib/audit/schemas";
import { AUDIT_ACTION_LABELS } from "@/components/audit-labels";
import { AuditChainActions } from "@/components/audit-chain-actions";
import { AuditChainBanner } from "@/components/audit-chain-banner";
import { AuditTable } from "@/components/audit-table";
import { EmptyState } from "@/components/empty-state";
import { PageHeader } from "@/components/page-header";
import { Alert } from "@/components/ui/alert";
import { Button, buttonClasses } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { AUDIT_ACTIONS } from "@/lib/audit/actions";
import { auditChainStatusWithin } from "@/lib/audit/chain-status";
import { requireUser } from "@/lib/auth/session";
import { signCheckpointAction, verifyChainAction } from "./actions";
import { auditHref, auditPageQuery, presentParams, toQueryFilter } from "./filter";

export const metadata: Metadata = { title: "Audit log" };

const PAGE_SIZE = 50;
const FILTER_KEYS = ["action", "user_email", "resource", "success", "from", "to"] as const;

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { user } = await requireUser();
  const params = presentParams(await searchParams);
  const parsed = auditPageQuery.safeParse(params);
  const filterParams = Object.fromEntries(FILTER_KEYS.map((key) => [key, params[key]]));
  const filtered = FILTER_KEYS.some((key) => params[key]);

  const query = parsed.success ? parsed.data : null;
  const queryFilter = query ? toQueryFilter(query) : null;
  const [rows, chain] = await Promise.all([queryFilter ? listAuditLogs(auditLogFilter(user.orgId, queryFilter, PAGE_SIZE)) : [], auditChainStatusWithin(user.orgId)]);
  const entries = rows.slice(0, PAGE_SIZE);
  const older = rows.length > PAGE_SIZE ? entries.at(-1) : undefined;
  const exportHref = (format: ExportFormat) => (queryFilter ? `/api/audit-logs/export?${exportSearchParams(queryFilter, format)}` : undefined);

  return (
    <div className="space-y-6">
      <PageHeader
        title="Audit log"
        description="Every change and sign-in in your organization, newest first. Times are in UTC."
        actions={
          queryFilter && (
            <>
              <a href={exportHref("csv")} download className={buttonClasses("secondary", "sm")}>
                Export CSV
              </a>
              <a href={exportHref("json")} download className={buttonClasses("secondary", "sm")}>
                Export JSON
              </a>
              <a href={exportHref("verifiable")} download className={buttonClasses("secondary", "sm")} title="JSON with the checkpoints and public keys the offline verifier needs">
                Export verifiable JSON
              </a>
            </>
          )
        }
      />
      <p className="-mt-4 text-xs text-slate-600">
        Exports hold every entry matching the current filter (not only this page), newest first, up to {MAX_EXPORT_ROWS.toLocaleString("en-US")} entries; narrow the dates
        to export older ones.
      </p>

      <section aria-label="Audit chain">
        <AuditChainBanner
          status={chain}
          actions={user.role === "admin" ? <AuditChainActions signCheckpoint={signCheckpointAction} verifyNow={verifyChainAction} /> : undefined}
        />
      </section>

      <form method="get" action="/audit" aria-label="Filter the audit log" className="rounded-lg border border-slate-200 bg-white p-4 shadow-xs">
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          <Field id="filter-action" label="Action">
            <Select id="filter-action" name="action" defaultValue={filterParams.action ?? ""}>
              <option value="">Any action</option>
              {AUDIT_ACTIONS.map((action) => (
                <option key={action} value={action}>
                  {AUDIT_ACTION_LABELS[action]} ({action})
                </option>
              ))}
            </Select>
          </Field>
          <Field id="filter-user" label="User email">
            <Input id="filter-user" name="user_email" type="email" defaultValue={filterParams.user_email} placeholder="admin@example.com" />
          </Field>
          <Field id="filter-resource" label="Resource">
            <Input id="filter-resource" name="resource" defaultValue={filterParams.resource} placeholder="policy:pol-mfa-required" spellCheck={false} />
          </Field>
          <Field id="filter-success" label="Result">
            <Select id="filter-success" name="success" defaultValue={filterParams.success ?? ""}>
              <option value="">Any result</option>
              <option value="true">Success</option>
              <option value="false">Failed</option>
            </Select>
          </Field>
          <Field id="filter-from" label="From (UTC)">
            <Input id="filter-from" name="from" type="date" defaultValue={filterParams.from} />
          </Field>
          <Field id="filter-to" label="To (UTC, included)">
            <Input id="filter-to" name="to" type="date" defaultValue={filterParams.to} />
          </Field>
        </div>
        <div className="mt-4 flex flex-wrap gap-2">
          <Button type="submit" size="sm">
            Apply filters
          </Button>
          {filtered && (
            <Link href="/audit" className={buttonClasses("ghost", "sm")}>
              Clear filters
            </Link>
          )}
        </div>
      </form>

      {!parsed.success ? (
        <Alert tone="error" title="This filter is not valid">
          <ul>
            {parsed.error.issues.map((issue) => (
              <li key={issue.path.join(".")}>
                {issue.path.join(".")}: {issue.message}
              </li>
            ))}
          </ul>
        </Alert>
      ) : entries.length === 0 ? (
        <EmptyState title={filtered || query?.cursor ? "No entries match this filter" : "No activity yet"}>
          {filtered ? "Try a wider date range, or clear some filters." : "Changes and sign-ins will appear here."}
        </EmptyState>
      ) : (
        <>
          <AuditTable entries={entries} label="Audit log entries" />
          <nav aria-label="Pages" className="flex flex-wrap items-center justify-between gap-2 text-sm">
            <span className="text-slate-600">
              {query?.cursor ? "Older entries: " : ""}
              {entries.length} {entries.length === 1 ? "entry" : "entries"} shown
            </span>
            <div className="flex gap-2">
              {query?.cursor && (
                <Link href={auditHref(filterParams)} className={buttonClasses("secondary", "sm")}>
                  ← Newest entries
                </Link>
              )}
              {older && (
                <Link href={auditHref({ ...filterParams, cursor: String(older.seq) })} className={buttonClasses("secondary", "sm")}>
                  Older entries →
                </Link>
              )}
            </div>
          </nav>
        </>
      )}
    </div>
  );
}
