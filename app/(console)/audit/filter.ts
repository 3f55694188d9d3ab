import { z } from "zod";
import { listAuditLogsQuery, type AuditLogQueryFilter } from "@/lib/audit/schemas";

/**
 * The audit page's query string: the filters of `GET /api/audit-logs`, except that the date range is two
 * calendar days in UTC, both included, as a person picks them ("from the 3rd to the 5th").
 */
export const auditPageQuery = listAuditLogsQuery
  .pick({ action: true, resource: true, user_email: true, success: true, cursor: true })
  .extend({
    from: z.iso.date("must be a date like 2026-03-05").optional(),
    to: z.iso.date("must be a date like 2026-03-05").optional(),
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, { path: ["to"], message: "must be on or after the start date" });

export type AuditPageQuery = z.output<typeof auditPageQuery>;

const DAY_MS = 86_400_000;

/** The page's filter as the API's: `since` the start of `from`, `until` the end of `to` (the API's `until` is exclusive). */
export function toQueryFilter({ from, to, ...rest }: AuditPageQuery): AuditLogQueryFilter {
  return {
    ...rest,
    since: from ? new Date(`${from}T00:00:00Z`) : undefined,
    until: to ? new Date(new Date(`${to}T00:00:00Z`).getTime() + DAY_MS) : undefined,
  };
}

/** Search params as given, first value of each, without the empty ones a GET form sends for blank fields. */
export function presentParams(searchParams: Record<string, string | string[] | undefined>): Record<string, string> {
  const present: Record<string, string> = {};
  for (const [key, value] of Object.entries(searchParams)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first) present[key] = first;
  }
  return present;
}

/** A link to the audit page with these parameters. */
export function auditHref(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1])));
  const search = query.toString();
  return search ? `/audit?${search}` : "/audit";
}
