import type { AuditLog } from "@/db/schema";

/** The `Link: <…>; rel="next"` value continuing after the entry `lastSeq`: this request's URL with that cursor. */
export function nextPageLink(request: Request, lastSeq: number): string {
  const next = new URL(request.url);
  next.searchParams.set("cursor", String(lastSeq));
  return `<${next.toString()}>; rel="next"`;
}

/**
 * Splits the `limit + 1` rows a cursor query returns into the page and, when more exist, the
 * `Link: <…>; rel="next"` value: this request's URL with the cursor of the page's last entry.
 */
export function pageOf(request: Request, rows: AuditLog[], limit: number): { page: AuditLog[]; nextLink: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  if (rows.length <= limit || !last) return { page, nextLink: null };
  return { page, nextLink: nextPageLink(request, last.seq) };
}
