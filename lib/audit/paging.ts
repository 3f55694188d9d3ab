import type { AuditLog } from "@/db/schema";

/**
 * Splits the `limit + 1` rows a cursor query returns into the page and, when more exist, the
 * `Link: <…>; rel="next"` value: this request's URL with the cursor of the page's last entry.
 */
export function pageOf(request: Request, rows: AuditLog[], limit: number): { page: AuditLog[]; nextLink: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  if (rows.length <= limit || !last) return { page, nextLink: null };
  const next = new URL(request.url);
  next.searchParams.set("cursor", String(last.seq));
  return { page, nextLink: `<${next.toString()}>; rel="next"` };
}
