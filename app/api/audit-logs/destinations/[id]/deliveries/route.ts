import { getAuditDestination, listAuditDeliveries } from "@/db/queries/audit-destinations";
import { parseQuery } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { listDeliveriesQuery } from "@/lib/audit-streaming/schemas";
import { toDeliveryJson } from "@/lib/audit-streaming/serialize";
import { ApiError } from "@/lib/errors";

/** The destination's deliveries in one state (`dead` by default: the dead-letter view). */
export const GET = userRoute<{ id: string }>({ family: "detail", role: "admin" }, async ({ request, params, actor }) => {
  const query = parseQuery(request, listDeliveriesQuery);
  if (!(await getAuditDestination({ orgId: actor.orgId, id: params.id }))) throw ApiError.notFound("Destination not found");
  const deliveries = await listAuditDeliveries({ orgId: actor.orgId, destinationId: params.id, state: query.state, limit: query.limit });
  return Response.json(deliveries.map(toDeliveryJson));
});
