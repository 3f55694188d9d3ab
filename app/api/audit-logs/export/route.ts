import { auditLogExtent } from "@/db/queries/audit-logs";
import { recordAudit } from "@/lib/audit/log";
import { parseQuery } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { auditLogExportStream, jsonExportEnvelope } from "@/lib/audit/export";
import { acquireExportSlot } from "@/lib/audit/export-slots";
import { nextPageLink } from "@/lib/audit/paging";
import { auditLogFilter, describeExportFilter, exportAuditLogsQuery, type ExportFormat } from "@/lib/audit/schemas";

const CONTENT_TYPES: Record<ExportFormat, string> = { csv: "text/csv; charset=utf-8", json: "application/json; charset=utf-8", verifiable: "application/json; charset=utf-8" };
const EXTENSIONS: Record<ExportFormat, string> = { csv: "csv", json: "json", verifiable: "verifiable.json" };

/**
 * The audit log matching the same filters as `GET /api/audit-logs`, newest first, as a CSV or JSON file.
 * At most `limit` rows (10,000 by default and at most): when more match, `X-Export-Truncated: true` and a
 * `Link: <…>; rel="next"` header give the cursor of the rest, exactly as the list API pages.
 *
 * The file is streamed in batches (lib/audit/export.ts), a few exports at a time per user and organization
 * (lib/audit/export-slots.ts). It writes an audit row, so a console session may only export from this origin
 * (`sameOriginOnly`): a link on another site cannot put an export in an admin's audit trail.
 */
export const GET = userRoute({ family: "detail", role: "viewer", sameOriginOnly: true }, async ({ request, actor }) => {
  const query = parseQuery(request, exportAuditLogsQuery);
  const release = acquireExportSlot(actor);
  try {
    const filter = auditLogFilter(actor.orgId, query, query.limit);
    const filtered = [query.action, query.resource, query.user_email, query.success, query.since, query.until].some((value) => value !== undefined);
    // Before the extent: every checkpoint it lists is of a row the file holds.
    const envelope = query.format === "verifiable" ? await jsonExportEnvelope({ orgId: actor.orgId, filtered }) : null;
    const extent = await auditLogExtent(filter);
    const complete = !filtered && query.cursor === undefined && !extent.truncated;

    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    const headers = new Headers({
      "Content-Type": CONTENT_TYPES[query.format],
      "Content-Disposition": `attachment; filename="palisade-audit-log-${stamp}.${EXTENSIONS[query.format]}"`,
      "X-Export-Row-Limit": String(query.limit),
      "X-Export-Truncated": String(extent.truncated),
    });
    if (extent.truncated && extent.lastSeq !== null) headers.set("Link", nextPageLink(request, extent.lastSeq));

    // Reading the log is not audited; carrying a copy of it out of Palisade is. Written before the first byte,
    // so every export that sends anything is on record; it is never in the export itself (newestSeq predates it).
    const filters = describeExportFilter(query);
    await recordAudit(actor, {
      action: "export_audit_log",
      resource: "audit-log",
      details: `Exported ${extent.rows} entries as ${query.format === "verifiable" ? "verifiable JSON" : query.format.toUpperCase()}${filters ? ` (${filters})` : ""}${extent.truncated ? ", truncated" : ""}`,
      success: true,
    });

    const body = auditLogExportStream({
      format: query.format === "csv" ? "csv" : "json",
      filter,
      newestSeq: extent.newestSeq,
      rows: extent.rows,
      onFinish: release,
      signal: request.signal,
      json: envelope ? { prefix: envelope.prefix, suffix: envelope.suffix(complete) } : undefined,
    });
    return new Response(body, { headers });
  } catch (error) {
    release();
    throw error;
  }
});

/**
 * Next.js would answer HEAD by running GET and dropping the body unread: an audited export that never
 * finishes, holding its slot. There is nothing to show without the file.
 */
export function HEAD(): Response {
  return new Response(null, { status: 405, headers: { Allow: "GET" } });
}
