import { listEnrollmentKeys } from "@/db/queries/enrollment-keys";
import { parseJsonBody } from "@/lib/api/request";
import { okResponse, userRoute } from "@/lib/api/route";
import { createEnrollmentKey } from "@/lib/agents/enrollment-keys";
import { createEnrollmentKeyBody } from "@/lib/agents/schemas";

export const GET = userRoute({ family: "envelope", role: "admin" }, async ({ actor }) => okResponse(await listEnrollmentKeys({ orgId: actor.orgId })));

/** Creates an enrollment key; the key itself is in this response only. */
export const POST = userRoute({ family: "envelope", role: "admin", audit: () => ({ action: "create_enrollment_key", resource: "enrollment-keys" }) }, async ({ request, actor }) => {
  const body = await parseJsonBody(request, createEnrollmentKeyBody);
  const { key, secret } = await createEnrollmentKey({ actor, maxUses: body.uses ?? null, expiresHours: body.expiresHours });
  return okResponse({ ...key, key: secret }, 201);
});
