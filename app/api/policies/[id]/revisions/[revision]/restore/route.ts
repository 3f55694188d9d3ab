import { validateInput } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { revisionParam } from "@/lib/policies/schemas";
import { toPolicyJson } from "@/lib/policies/serialize";
import { restorePolicy } from "@/lib/policies/service";

/** Restores a revision as the policy's newest one (recreating a deleted policy). */
export const POST = userRoute<{ id: string; revision: string }>(
  { family: "detail", role: "admin", audit: ({ id }) => ({ action: "restore_policy", resource: `policy:${id}` }) },
  async ({ params, actor }) => {
    const revision = validateInput(params.revision, revisionParam, "path");
    const policy = await restorePolicy({ actor, id: params.id, revision });
    return Response.json({ message: "Policy restored", restored_from: revision, policy: toPolicyJson(policy) });
  },
);
