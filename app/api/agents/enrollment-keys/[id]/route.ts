import { revokeEnrollmentKey } from "@/lib/agents/enrollment-keys";
import { okResponse, userRoute } from "@/lib/api/route";
import { ApiError } from "@/lib/errors";

export const DELETE = userRoute<{ id: string }>({ family: "envelope", role: "admin", audit: ({ id }) => ({ action: "revoke_enrollment_key", resource: `enrollment-key:${id}` }) }, async ({ params, actor }) => {
  if (!(await revokeEnrollmentKey({ actor, id: params.id }))) throw ApiError.notFound("Enrollment key not found");
  return okResponse({ id: params.id, revoked: true });
});
