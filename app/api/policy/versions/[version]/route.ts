import { okResponse, userRoute } from "@/lib/api/route";
import { requireVersion } from "@/lib/agent-policy/lookup";
import { toPolicyVersionJson } from "@/lib/agent-policy/serialize";

export const GET = userRoute<{ version: string }>({ family: "envelope", role: "viewer" }, async ({ params, actor }) =>
  okResponse(toPolicyVersionJson(await requireVersion(actor.orgId, params.version))),
);
