import { parseJsonBody } from "@/lib/api/request";
import { okResponse, userRoute } from "@/lib/api/route";
import { effectiveRules, formatVersion } from "@/lib/agent-policy/rules";
import { ApiError } from "@/lib/errors";
import { overridesBody } from "@/lib/agent-policy/schemas";
import { setAgentOverrides } from "@/lib/agents/service";
import { versionForAgent } from "@/lib/agent-policy/lookup";

/** Replaces the agent's overrides (an empty list clears them). Only that agent's stream is told. */
export const PUT = userRoute<{ id: string }>({ family: "envelope", role: "admin", audit: ({ id }) => ({ action: "set_agent_overrides", resource: `agent:${id}` }) }, async ({ request, params, actor }) => {
  const { rules: overrides } = await parseJsonBody(request, overridesBody);
  const agent = await setAgentOverrides({ actor, id: params.id, overrides });
  if (!agent) throw ApiError.notFound("Agent not found");
  const { version } = await versionForAgent(agent);
  return okResponse({
    agentId: agent.id,
    overrides: agent.overrides,
    policyVersion: version ? formatVersion(version.version) : null,
    rules: version ? effectiveRules(version.rules, agent.overrides) : [],
  });
});
