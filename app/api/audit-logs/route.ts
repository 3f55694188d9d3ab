import { listAuditLogs } from "@/db/queries/audit-logs";
import { parseQuery } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { pageOf } from "@/lib/audit/paging";
import { toAuditLogJson } from "@/lib/audit/serialize";
import { auditLogFilter, listAuditLogsQuery } from "@/lib/audit/schemas";

/** A bare JSON array, newest first; the next page is in a `Link: <…>; rel="next"` header. */
export const GET = userRoute({ family: "detail", role: "viewer" }, async ({ request, actor }) => {
  const query = parseQuery(request, listAuditLogsQuery);
  const rows = await listAuditLogs(auditLogFilter(actor.orgId, query, query.limit));
  const { page, nextLink } = pageOf(request, rows, query.limit);
  return Response.json(page.map(toAuditLogJson), { headers: nextLink ? { Link: nextLink } : {} });
});
