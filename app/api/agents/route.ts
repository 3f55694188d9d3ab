import { listAgents } from "@/db/queries/agents";
import { parseQuery } from "@/lib/api/request";
import { okResponse, userRoute } from "@/lib/api/route";
import { toAgentJson } from "@/lib/agents/serialize";
import { env } from "@/lib/env";
import { versionTargets } from "@/lib/agent-policy/version-targets";
import { heartbeats } from "@/lib/agents/heartbeats";
import { listAgentsQuery } from "@/lib/agents/schemas";

/** The organization's agents, by hostname, filterable by status (online, offline, outdated, revoked). */
export const GET = userRoute({ family: "envelope", role: "viewer" }, async ({ request, actor }) => {
  const query = parseQuery(request, listAgentsQuery);
  await heartbeats().written(actor.orgId);
  const targets = await versionTargets(actor.orgId);
  const offlineAfterSeconds = env().AGENT_OFFLINE_AFTER_SECONDS;
  const page = await listAgents({ orgId: actor.orgId, ...query, targets, offlineAfterSeconds });
  return okResponse({ total: page.total, agents: page.agents.map((agent) => toAgentJson(agent, targets, offlineAfterSeconds)) });
});
