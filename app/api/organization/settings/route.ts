import { isFourEyesOn } from "@/db/queries/organizations";
import { parseJsonBody } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { organizationSettingsBody } from "@/lib/change-requests/schemas";
import { setFourEyes } from "@/lib/change-requests/service";

export const GET = userRoute({ family: "detail", role: "viewer" }, async ({ actor }) => Response.json({ fourEyes: await isFourEyesOn({ orgId: actor.orgId }) }));

/** Admin. Turning four-eyes off while it is on files a change request (202). */
export const PUT = userRoute({ family: "detail", role: "admin", audit: () => ({ action: "update_organization_settings", resource: "organization" }) }, async ({ request, actor }) => {
  const { fourEyes } = await parseJsonBody(request, organizationSettingsBody);
  return Response.json(await setFourEyes({ actor, on: fourEyes }));
});
