import { parseJsonBody } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { updateDestinationBody } from "@/lib/audit-streaming/schemas";
import { toDestinationJson } from "@/lib/audit-streaming/serialize";
import { deleteDestination, updateDestination } from "@/lib/audit-streaming/service";

type Params = { id: string };
const resource = ({ id }: Params) => `audit-destination:${id}`;

/** Enables or disables a destination, or changes its URL, actions or secret (rotation). */
export const PATCH = userRoute<Params>({ family: "detail", role: "admin", audit: (params) => ({ action: "update_audit_destination", resource: resource(params) }) }, async ({ request, params, actor }) => {
  const update = await parseJsonBody(request, updateDestinationBody);
  return Response.json(toDestinationJson(await updateDestination({ actor, id: params.id, update })));
});

/** Deletes a destination and whatever it had queued. */
export const DELETE = userRoute<Params>({ family: "detail", role: "admin", audit: (params) => ({ action: "delete_audit_destination", resource: resource(params) }) }, async ({ params, actor }) => {
  const destination = await deleteDestination({ actor, id: params.id });
  return Response.json({ message: "Destination deleted", id: destination.id });
});
