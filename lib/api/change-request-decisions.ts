import { parseJsonBody, validateInput } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { changeRequestId, decisionBody } from "@/lib/change-requests/schemas";
import { toChangeRequestJson } from "@/lib/change-requests/serialize";
import { approveChangeRequest, cancelChangeRequest, rejectChangeRequest } from "@/lib/change-requests/service";

const DECISIONS = {
  approve: { run: approveChangeRequest, action: "approve_change_request" },
  reject: { run: rejectChangeRequest, action: "reject_change_request" },
  cancel: { run: cancelChangeRequest, action: "cancel_change_request" },
} as const;

/** The handler of `POST /api/change-requests/{id}/approve|reject|cancel`: admins only, with an optional comment. */
export function decideChangeRequest(decision: keyof typeof DECISIONS) {
  const { run, action } = DECISIONS[decision];
  return userRoute<{ id: string }>({ family: "detail", role: "admin", audit: ({ id }) => ({ action, resource: `change-request:${id}` }) }, async ({ request, params, actor }) => {
    const id = validateInput(params.id, changeRequestId, "path");
    const body = await parseJsonBody(request, decisionBody.optional());
    return Response.json(toChangeRequestJson(await run({ actor, id, comment: body?.comment ?? "" })));
  });
}
