import { getActivePolicyVersion } from "@/db/queries/agent-policies";
import { okResponse, userRoute } from "@/lib/api/route";
import { toPolicyVersionJson } from "@/lib/agent-policy/serialize";
import { ApiError } from "@/lib/errors";

export const GET = userRoute({ family: "envelope", role: "viewer" }, async ({ actor }) => {
  const version = await getActivePolicyVersion({ orgId: actor.orgId });
  if (!version) throw ApiError.notFound("No agent policy has been published yet");
  return okResponse(toPolicyVersionJson(version));
});
