import { listPolicies } from "@/db/queries/policies";
import { parseJsonBody, parseQuery } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { generatePolicyId } from "@/lib/policies/ids";
import { createPolicyBody, listPoliciesQuery } from "@/lib/policies/schemas";
import { toPolicyJson } from "@/lib/policies/serialize";
import { createPolicy } from "@/lib/policies/service";

export const GET = userRoute({ family: "detail", role: "viewer" }, async ({ request, actor }) => {
  const filter = parseQuery(request, listPoliciesQuery);
  const rows = await listPolicies({ orgId: actor.orgId, ...filter });
  return Response.json(rows.map(toPolicyJson));
});

export const POST = userRoute({ family: "detail", role: "admin", audit: () => ({ action: "create_policy", resource: "policies" }) }, async ({ request, actor }) => {
  const body = await parseJsonBody(request, createPolicyBody);
  const policy = await createPolicy({ actor, input: { ...body, id: body.id ?? generatePolicyId(body.name) } });
  return Response.json(toPolicyJson(policy), {
    status: 201,
    headers: { Location: `/api/policies/${encodeURIComponent(policy.id)}` },
  });
});
