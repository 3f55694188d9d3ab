import { stringify } from "csv-stringify/sync";
import { listAuditLogs, recordAudit } from "@/db/queries/audit-logs";
import type { AuditLog } from "@/db/schema";
import { parseQuery } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { pageOf } from "@/lib/audit/paging";
import { toAuditLogJson } from "@/lib/audit/serialize";
import { auditLogFilter } from "../schema";
import { exportAuditLogsQuery, type ExportFormat } from "./schema";

const CSV_COLUMNS = ["id", "timestamp", "user_id", "user_email", "action", "resource", "details", "success", "ip", "user_agent", "before", "after"] as const;

/**
 * A spreadsheet runs a cell that starts with one of these as a formula. User agents, emails and policy
 * names are chosen by whoever sent them, so such cells get a leading apostrophe (OWASP's CSV injection advice).
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const neutralizeFormula = (value: string) => (FORMULA_START.test(value) ? `'${value}` : value);

function toCsv(rows: AuditLog[]): string {
  const records = rows.map((row) => {
    const json = toAuditLogJson(row);
    return CSV_COLUMNS.map((column) => {
      const value = json[column as keyof typeof json];
      if (value === undefined || value === null) return "";
      return neutralizeFormula(typeof value === "string" ? value : JSON.stringify(value));
    });
  });
  return stringify(records, { header: true, columns: [...CSV_COLUMNS], eof: true });
}

const CONTENT_TYPES: Record<ExportFormat, string> = { csv: "text/csv; charset=utf-8", json: "application/json; charset=utf-8" };

/**
 * The audit log matching the same filters as `GET /api/audit-logs`, newest first, as a CSV or JSON file.
 * At most `limit` rows (10,000 by default and at most): when more match, `X-Export-Truncated: true` and a
 * `Link: <…>; rel="next"` header give the cursor of the rest, exactly as the list API pages.
 */
export const GET = userRoute({ family: "detail", role: "viewer" }, async ({ request, actor }) => {
  const query = parseQuery(request, exportAuditLogsQuery);
  const rows = await listAuditLogs(auditLogFilter(actor.orgId, query, query.limit));
  const { page: exported, nextLink } = pageOf(request, rows, query.limit);
  const truncated = nextLink !== null;

  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const headers = new Headers({
    "Content-Type": CONTENT_TYPES[query.format],
    "Content-Disposition": `attachment; filename="palisade-audit-log-${stamp}.${query.format}"`,
    "X-Export-Row-Limit": String(query.limit),
    "X-Export-Truncated": String(truncated),
  });
  if (nextLink) headers.set("Link", nextLink);
  // Reading the log is not audited; carrying a copy of it out of Palisade is.
  const filters = [...new URL(request.url).searchParams].filter(([key]) => key !== "format").map(([key, value]) => `${key}=${value}`);
  await recordAudit(actor, {
    action: "export_audit_log",
    resource: "audit-log",
    details: `Exported ${exported.length} entries as ${query.format.toUpperCase()}${filters.length ? ` (${filters.join(", ")})` : ""}${truncated ? ", truncated" : ""}`,
    success: true,
  });
  const body = query.format === "csv" ? toCsv(exported) : JSON.stringify(exported.map(toAuditLogJson));
  return new Response(body, { headers });
});
