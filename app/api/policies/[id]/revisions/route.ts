import { listPolicyRevisions } from "@/db/queries/policy-revisions";
import { userRoute } from "@/lib/api/route";
import { ApiError } from "@/lib/errors";
import { toPolicyRevisionJson } from "@/lib/policies/serialize";

/** A policy's revisions, newest first; a deleted policy keeps them. */
export const GET = userRoute<{ id: string }>({ family: "detail", role: "viewer" }, async ({ params, actor }) => {
  const revisions = await listPolicyRevisions({ orgId: actor.orgId, policyId: params.id });
  if (revisions.length === 0) throw ApiError.notFound("Policy not found");
  return Response.json(revisions.map(toPolicyRevisionJson));
});
