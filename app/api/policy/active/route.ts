import { getActivePolicyVersion, getRolloutVersion } from "@/db/queries/agent-policies";
import { okResponse, userRoute } from "@/lib/api/route";
import { toPolicyVersionJson } from "@/lib/agent-policy/serialize";
import { ApiError } from "@/lib/errors";

/** The version that applies to the fleet at large, and (`rollout`) the version rolling out to a selector's agents, if any. */
export const GET = userRoute({ family: "envelope", role: "viewer" }, async ({ actor }) => {
  const [version, rollout] = await Promise.all([getActivePolicyVersion({ orgId: actor.orgId }), getRolloutVersion({ orgId: actor.orgId })]);
  if (!version) throw ApiError.notFound(rollout ? "No agent policy has been published to the whole fleet yet" : "No agent policy has been published yet");
  return okResponse({ ...toPolicyVersionJson(version), rollout: rollout && toPolicyVersionJson(rollout) });
});
