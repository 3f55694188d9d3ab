import { createEnrollmentKey, listEnrollmentKeys } from "@/db/queries/enrollment-keys";
import { parseJsonBody } from "@/lib/api/request";
import { okResponse, userRoute } from "@/lib/api/route";
import { issueSecret } from "@/lib/auth/secrets";
import { createEnrollmentKeyBody, enrollmentKeyExpiry } from "../schema";

export const GET = userRoute({ family: "envelope", role: "admin" }, async ({ actor }) => okResponse(await listEnrollmentKeys({ orgId: actor.orgId })));

/** Creates an enrollment key; the key itself is in this response only. */
export const POST = userRoute({ family: "envelope", role: "admin", audit: () => ({ action: "create_enrollment_key", resource: "enrollment-keys" }) }, async ({ request, actor }) => {
  const body = await parseJsonBody(request, createEnrollmentKeyBody);
  const issued = issueSecret("enrollmentKey");
  const key = await createEnrollmentKey({
    actor,
    keyHash: issued.hash,
    keyPrefix: issued.displayPrefix,
    maxUses: body.uses ?? null,
    expiresAt: enrollmentKeyExpiry(body.expiresHours),
  });
  return okResponse({ ...key, key: issued.secret }, 201);
});
