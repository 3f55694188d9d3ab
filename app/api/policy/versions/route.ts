import { listPolicyVersions } from "@/db/queries/agent-policies";
import { parseQuery } from "@/lib/api/request";
import { okResponse, userRoute } from "@/lib/api/route";
import { toPolicyVersionJson } from "@/lib/agent-policy/serialize";
import { listVersionsQuery } from "@/lib/agent-policy/schemas";

/** Every version, newest first. */
export const GET = userRoute({ family: "envelope", role: "viewer" }, async ({ request, actor }) => {
  const { limit } = parseQuery(request, listVersionsQuery);
  const versions = await listPolicyVersions({ orgId: actor.orgId, limit });
  return okResponse(versions.map(toPolicyVersionJson));
});
