import { parseJsonBody } from "@/lib/api/request";
import { agentRoute, okResponse } from "@/lib/api/route";
import { formatVersion, parseVersion } from "@/lib/agent-policy/rules";
import { heartbeats } from "@/lib/events/heartbeats";
import { latestVersion } from "@/lib/events/latest-version";
import { heartbeatBody } from "../schema";

/** Records that the agent is alive and which version it runs; answers whether that version is the latest. */
export const POST = agentRoute(async ({ request, agent }) => {
  const body = await parseJsonBody(request, heartbeatBody);
  const reported = body.policyVersion === null ? null : parseVersion(body.policyVersion);
  const now = new Date();
  heartbeats().record({ agentId: agent.id, orgId: agent.orgId, at: now, version: reported, agentVersion: body.agentVersion ?? null, hostname: body.hostname ?? null });
  const latest = await latestVersion(agent.orgId);
  return okResponse({
    agentId: agent.id,
    latestVersion: latest === null ? null : formatVersion(latest),
    outdated: latest !== null && (reported ?? 0) < latest,
    serverTime: now.toISOString(),
  });
});
