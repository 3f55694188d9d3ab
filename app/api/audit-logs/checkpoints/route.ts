import { listAuditCheckpoints } from "@/db/queries/audit-checkpoints";
import { parseQuery } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { signAuditCheckpoint, toCheckpointJson } from "@/lib/audit/checkpoints";
import { nextPageLink } from "@/lib/audit/paging";
import { listCheckpointsQuery } from "@/lib/audit/schemas";

/** The organization's signed checkpoints, newest first; the next page is in a `Link: <…>; rel="next"` header. */
export const GET = userRoute({ family: "detail", role: "viewer" }, async ({ request, actor }) => {
  const query = parseQuery(request, listCheckpointsQuery);
  const rows = await listAuditCheckpoints({ orgId: actor.orgId, beforePosition: query.cursor, limit: query.limit });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const headers = rows.length > query.limit && last ? { Link: nextPageLink(request, last.position) } : undefined;
  return Response.json(page.map(toCheckpointJson), { headers });
});

/** Signs the organization's chain head now (201), audited as `sign_audit_checkpoint`; an empty chain answers 409. */
export const POST = userRoute(
  { family: "detail", role: "admin", audit: () => ({ action: "sign_audit_checkpoint", resource: "audit-chain" }) },
  async ({ actor }) => {
    const checkpoint = await signAuditCheckpoint({ actor });
    return Response.json(checkpoint && toCheckpointJson(checkpoint), { status: 201 });
  },
);
