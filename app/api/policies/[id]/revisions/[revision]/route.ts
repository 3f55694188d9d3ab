import { getPolicyRevision } from "@/db/queries/policy-revisions";
import { validateInput } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { ApiError } from "@/lib/errors";
import { revisionParam } from "@/lib/policies/schemas";
import { toPolicyRevisionJson } from "@/lib/policies/serialize";

export const GET = userRoute<{ id: string; revision: string }>({ family: "detail", role: "viewer" }, async ({ params, actor }) => {
  const revision = validateInput(params.revision, revisionParam, "path");
  const found = await getPolicyRevision({ orgId: actor.orgId, policyId: params.id, revision });
  if (!found) throw ApiError.notFound("Revision not found");
  return Response.json(toPolicyRevisionJson(found));
});
