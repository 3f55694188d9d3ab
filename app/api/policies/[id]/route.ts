import { getPolicy } from "@/db/queries/policies";
import { parseJsonBody, parseQuery } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { ApiError } from "@/lib/errors";
import { toPolicyJson } from "@/lib/policies/serialize";
import { deletePolicyQuery, togglePolicyBody, updatePolicyBody } from "@/lib/policies/schemas";
import { deletePolicy, togglePolicy, updatePolicy } from "@/lib/policies/service";

type Params = { id: string };
const policyResource = ({ id }: Params) => `policy:${id}`;

export const GET = userRoute<Params>({ family: "detail", role: "viewer" }, async ({ params, actor }) => {
  const policy = await getPolicy({ orgId: actor.orgId, id: params.id });
  if (!policy) throw ApiError.notFound("Policy not found");
  return Response.json(toPolicyJson(policy));
});

export const PATCH = userRoute<Params>({ family: "detail", role: "admin", audit: (input) => ({ action: "toggle_policy", resource: policyResource(input) }) }, async ({ request, params, actor }) => {
  const body = await parseJsonBody(request, togglePolicyBody);
  const policy = await togglePolicy({ actor, id: params.id, enabled: body?.enabled });
  return Response.json({ message: policy.enabled ? "Policy enabled" : "Policy disabled", enabled: policy.enabled });
});

export const PUT = userRoute<Params>({ family: "detail", role: "admin", audit: (input) => ({ action: "update_policy", resource: policyResource(input) }) }, async ({ request, params, actor }) => {
  const { id, created_at: _ignored, ...update } = await parseJsonBody(request, updatePolicyBody);
  if (id !== undefined && id !== params.id) {
    throw ApiError.validation([{ code: "custom", path: ["id"], message: "must match the id in the URL", input: id }], "body");
  }
  const policy = await updatePolicy({ actor, id: params.id, update });
  return Response.json(toPolicyJson(policy));
});

export const DELETE = userRoute<Params>({ family: "detail", role: "admin", audit: (input) => ({ action: "delete_policy", resource: policyResource(input) }) }, async ({ request, params, actor }) => {
  const { confirm } = parseQuery(request, deletePolicyQuery);
  const policy = await deletePolicy({ actor, id: params.id, confirmed: confirm });
  return Response.json({ message: "Policy deleted", id: policy.id });
});
