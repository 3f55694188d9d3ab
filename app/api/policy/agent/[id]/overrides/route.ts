import { getActivePolicyVersion } from "@/db/queries/agent-policies";
import { parseJsonBody } from "@/lib/api/request";
import { okResponse, userRoute } from "@/lib/api/route";
import { effectiveRules, formatVersion } from "@/lib/agent-policy/rules";
import { ApiError } from "@/lib/errors";
import { overridesBody } from "@/lib/agent-policy/schemas";
import { setAgentOverrides } from "@/lib/agents/service";

/** Replaces the agent's overrides (an empty list clears them). Only that agent's stream is told. */
export const PUT = userRoute<{ id: string }>({ family: "envelope", role: "admin", audit: ({ id }) => ({ action: "set_agent_overrides", resource: `agent:${id}` }) }, async ({ request, params, actor }) => {
  const { rules: overrides } = await parseJsonBody(request, overridesBody);
  const agent = await setAgentOverrides({ actor, id: params.id, overrides });
  if (!agent) throw ApiError.notFound("Agent not found");
  const active = await getActivePolicyVersion({ orgId: actor.orgId });
  return okResponse({
    agentId: agent.id,
    overrides: agent.overrides,
    policyVersion: active ? formatVersion(active.version) : null,
    rules: active ? effectiveRules(active.rules, agent.overrides) : [],
  });
});
