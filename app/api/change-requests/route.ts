import { parseJsonBody, parseQuery } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { changeRequestListQuery, fileChangeRequestBody } from "@/lib/change-requests/schemas";
import { toChangeRequestJson } from "@/lib/change-requests/serialize";
import { currentChangeRequests, fileChangeRequestFor } from "@/lib/change-requests/service";

/** Newest first, optionally one state. */
export const GET = userRoute({ family: "detail", role: "viewer" }, async ({ request, actor }) => {
  const { state } = parseQuery(request, changeRequestListQuery);
  return Response.json((await currentChangeRequests({ orgId: actor.orgId, state })).map(toChangeRequestJson));
});

export const POST = userRoute({ family: "detail", role: "admin", audit: () => ({ action: "create_change_request", resource: "change-requests" }) }, async ({ request, actor }) => {
  const body = await parseJsonBody(request, fileChangeRequestBody);
  const filed = await fileChangeRequestFor({ actor, action: body.action, target: "target" in body ? body.target : undefined, reason: body.reason });
  return Response.json(toChangeRequestJson(filed), { status: 201 });
});
