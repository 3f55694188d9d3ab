import { clientIp, parseJsonBody } from "@/lib/api/request";
import { agentRoute, okResponse } from "@/lib/api/route";
import { formatVersion, parseVersion } from "@/lib/agent-policy/rules";
import { ApiError } from "@/lib/errors";
import { heartbeats } from "@/lib/agents/heartbeats";
import { latestVersion } from "@/lib/agent-policy/latest-version";
import { heartbeatBody } from "@/lib/agents/schemas";
import { isOutdated } from "@/lib/agents/status";

/**
 * Records that the agent is alive and which version it runs; answers whether that version is the latest.
 * A version the organization has not published is refused: it would otherwise count as up to date, or as
 * converged before it existed.
 */
export const POST = agentRoute(async ({ request, agent }) => {
  const body = await parseJsonBody(request, heartbeatBody);
  const reported = body.policyVersion === null ? null : parseVersion(body.policyVersion);
  let latest = await latestVersion(agent.orgId);
  // The cache may lag a publish committed on another instance by a moment: check the database before refusing.
  if (reported !== null && (latest === null || reported > latest)) latest = await latestVersion(agent.orgId, { fresh: true });
  if (reported !== null && (latest === null || reported > latest)) {
    const published = latest === null ? "no version has been published yet" : `the latest is ${formatVersion(latest)}`;
    throw ApiError.validation([{ code: "custom", path: ["policyVersion"], message: `${formatVersion(reported)} has not been published (${published})`, input: undefined }], "body");
  }
  const now = new Date();
  heartbeats().record({
    agentId: agent.id,
    orgId: agent.orgId,
    at: now,
    version: reported,
    agentVersion: body.agentVersion ?? null,
    hostname: body.hostname ?? null,
    ip: clientIp(request),
  });
  return okResponse({
    agentId: agent.id,
    latestVersion: latest === null ? null : formatVersion(latest),
    outdated: isOutdated(reported, latest),
    serverTime: now.toISOString(),
  });
});
