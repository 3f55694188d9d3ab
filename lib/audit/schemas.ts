import { z } from "zod";
import type { AuditLogFilter } from "@/db/queries/audit-logs";
import { booleanQuery } from "@/lib/validation";

const isoDate = z.iso
  .datetime({ offset: true, message: "must be an ISO 8601 date-time, e.g. 2026-03-05T14:30:00Z" })
  .or(z.iso.date({ message: "must be an ISO 8601 date or date-time" }))
  .transform((value) => new Date(value));

const cursor = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, "must be the cursor from a previous response's Link header")
  .transform(Number);

export const MAX_AUDIT_LIMIT = 1000;

export const listAuditLogsQuery = z.object({
  action: z.string().trim().min(1).max(100).optional(),
  resource: z.string().trim().min(1).max(300).optional(),
  user_email: z
    .string()
    .trim()
    .min(1)
    .max(320)
    .transform((value) => value.toLowerCase())
    .optional(),
  success: booleanQuery.optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
  limit: z.coerce.number("must be a number").int("must be a whole number").min(1).max(MAX_AUDIT_LIMIT).default(100),
  cursor: cursor.optional(),
});

/** The filter fields that `GET /api/audit-logs`, its export and the console's audit page share, as parsed. */
export type AuditLogQueryFilter = Pick<z.output<typeof listAuditLogsQuery>, "action" | "resource" | "user_email" | "success" | "since" | "until" | "cursor">;

/** The query-string filter as the audit-log query takes it, in the caller's organization. */
export function auditLogFilter(orgId: string, query: AuditLogQueryFilter, limit: number): AuditLogFilter {
  return {
    orgId,
    action: query.action,
    resource: query.resource,
    userEmail: query.user_email,
    success: query.success,
    since: query.since,
    until: query.until,
    beforeSeq: query.cursor,
    limit,
  };
}

/** The most rows one export holds; a larger result is cut there and says so (see the export route). */
export const MAX_EXPORT_ROWS = 10_000;

/**
 * `json` is a bare array of entries, as it always was; `verifiable` is JSON carrying the entries with the
 * organization's checkpoints and audit public keys, which the offline verifier reads (docs/audit-chain.md).
 */
export const EXPORT_FORMATS = ["csv", "json", "verifiable"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The filters of `GET /api/audit-logs`, a format, and a limit that goes up to a whole export. */
export const exportAuditLogsQuery = listAuditLogsQuery.extend({
  format: z.enum(EXPORT_FORMATS, "must be csv, json or verifiable"),
  limit: z.coerce.number("must be a number").int("must be a whole number").min(1).max(MAX_EXPORT_ROWS).default(MAX_EXPORT_ROWS),
});

/** The same filter as export URL parameters, so a page can link to the export of what it shows. */
export function exportSearchParams(query: Omit<AuditLogQueryFilter, "cursor">, format: ExportFormat): URLSearchParams {
  const params = new URLSearchParams({ format });
  if (query.action) params.set("action", query.action);
  if (query.resource) params.set("resource", query.resource);
  if (query.user_email) params.set("user_email", query.user_email);
  if (query.success !== undefined) params.set("success", String(query.success));
  if (query.since) params.set("since", query.since.toISOString());
  if (query.until) params.set("until", query.until.toISOString());
  return params;
}

/**
 * The validated filter of an export, for its audit row: the known parameters only, in a fixed order and
 * their parsed form (`action=toggle_policy, user_email=a@example.com, success=true, since=2026-03-01T00:00:00.000Z`).
 * Each is bounded by the schema; unknown parameters are never recorded, whatever the URL carried.
 */
export function describeExportFilter(query: z.output<typeof exportAuditLogsQuery>): string {
  const parts: string[] = [];
  for (const [key, value] of exportSearchParams(query, query.format)) if (key !== "format") parts.push(`${key}=${value}`);
  if (query.cursor !== undefined) parts.push(`cursor=${query.cursor}`);
  if (query.limit !== MAX_EXPORT_ROWS) parts.push(`limit=${query.limit}`);
  return parts.join(", ");
}

/** `GET /api/audit-logs/checkpoints`: newest first, paged like the log (the cursor is a chain position). */
export const listCheckpointsQuery = z.object({
  limit: z.coerce.number("must be a number").int("must be a whole number").min(1).max(MAX_AUDIT_LIMIT).default(100),
  cursor: cursor.optional(),
});
