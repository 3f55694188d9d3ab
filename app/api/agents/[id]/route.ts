import { okResponse, userRoute } from "@/lib/api/route";
import { requireAgent } from "@/lib/agents/lookup";
import { toAgentJson } from "@/lib/agents/serialize";
import { revokeAgent } from "@/lib/agents/service";
import { env } from "@/lib/env";
import { ApiError } from "@/lib/errors";
import { versionTargets } from "@/lib/agent-policy/version-targets";

type Params = { id: string };

export const GET = userRoute<Params>({ family: "envelope", role: "viewer" }, async ({ params, actor }) => {
  const agent = await requireAgent(actor.orgId, params.id);
  return okResponse(toAgentJson(agent, await versionTargets(actor.orgId), env().AGENT_OFFLINE_AFTER_SECONDS));
});

/** Revokes the agent: its token stops working at once and its open streams close within a second. */
export const DELETE = userRoute<Params>({ family: "envelope", role: "admin", audit: ({ id }) => ({ action: "revoke_agent", resource: `agent:${id}` }) }, async ({ params, actor }) => {
  const agent = await revokeAgent({ actor, id: params.id });
  if (!agent) throw ApiError.notFound("Agent not found");
  return okResponse({ agentId: agent.id, revokedAt: agent.revokedAt?.toISOString() ?? null });
});
