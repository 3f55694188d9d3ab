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
