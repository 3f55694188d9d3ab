import { listAuditDestinations } from "@/db/queries/audit-destinations";
import { parseJsonBody } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { createDestinationBody } from "@/lib/audit-streaming/schemas";
import { toDestinationHealthJson, toDestinationJson } from "@/lib/audit-streaming/serialize";
import { createDestination } from "@/lib/audit-streaming/service";

/** The organization's audit streaming destinations, with their delivery health. */
export const GET = userRoute({ family: "detail", role: "admin" }, async ({ actor }) => {
  return Response.json((await listAuditDestinations({ orgId: actor.orgId })).map(toDestinationHealthJson));
});

/** Adds a destination; the secret is never returned. */
export const POST = userRoute({ family: "detail", role: "admin", audit: () => ({ action: "create_audit_destination", resource: "audit-destinations" }) }, async ({ request, actor }) => {
  const body = await parseJsonBody(request, createDestinationBody);
  const destination = await createDestination({ actor, url: body.url, secret: body.secret, actions: body.actions ?? null });
  return Response.json(toDestinationJson(destination), { status: 201 });
});
