import { parseJsonBody } from "@/lib/api/request";
import { okResponse, userRoute } from "@/lib/api/route";
import { relabelBody } from "@/lib/agents/schemas";
import { toAgentJson } from "@/lib/agents/serialize";
import { relabelAgent } from "@/lib/agents/service";
import { versionTargets } from "@/lib/agent-policy/version-targets";
import { env } from "@/lib/env";
import { ApiError } from "@/lib/errors";

/** Admin. Replaces the agent's labels (`{"labels": {"ring": "canary"}}`), audited as `relabel_agent`. */
export const PUT = userRoute<{ id: string }>({ family: "envelope", role: "admin", audit: ({ id }) => ({ action: "relabel_agent", resource: `agent:${id}` }) }, async ({ request, params, actor }) => {
  const { labels } = await parseJsonBody(request, relabelBody);
  const agent = await relabelAgent({ actor, id: params.id, labels });
  if (!agent) throw ApiError.notFound("Agent not found");
  return okResponse(toAgentJson(agent, await versionTargets(actor.orgId), env().AGENT_OFFLINE_AFTER_SECONDS));
});
