import { okResponse, userRoute } from "@/lib/api/route";
import { parseVersion } from "@/lib/agent-policy/rules";
import { toPolicyVersionJson } from "@/lib/agent-policy/serialize";
import { endPolicyRollout, type RolloutOutcome } from "@/lib/agent-policy/service";
import { ApiError } from "@/lib/errors";
import { hub } from "@/lib/events/hub";

/**
 * The handler of `POST /api/policy/versions/{version}/promote|abort`: admins only, held for a second admin while
 * four-eyes is on. `broadcastedTo` counts the connected agents whose version it changed: the rest of the fleet on
 * promotion, the rollout's agents on abort.
 */
export function endRolloutRoute(outcome: RolloutOutcome) {
  const action = outcome === "promoted" ? "promote_policy_version" : "abort_policy_version";
  return userRoute<{ version: string }>({ family: "envelope", role: "admin", audit: ({ version }) => ({ action, resource: `agent-policy:${version}` }) }, async ({ params, actor }) => {
    const number = parseVersion(params.version);
    if (number === null) throw ApiError.notFound(`Policy version ${params.version} not found`);
    const version = await endPolicyRollout({ actor, version: number, outcome });
    const targeted = await hub().connectedAgents(actor.orgId, version.selector!);
    const broadcastedTo = outcome === "promoted" ? (await hub().connectedAgents(actor.orgId)) - targeted : targeted;
    return okResponse({ ...toPolicyVersionJson(version), broadcastedTo: Math.max(broadcastedTo, 0) });
  });
}
