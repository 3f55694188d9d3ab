import type { Agent } from "@/db/schema";
import { formatVersion } from "@/lib/agent-policy/rules";
import { isOnline, isOutdated } from "./status";

/** An agent as the API and the console show it. */
export function toAgentJson(agent: Agent, latestVersion: number | null, offlineAfterSeconds: number) {
  return {
    id: agent.id,
    hostname: agent.hostname,
    agentVersion: agent.agentVersion,
    labels: agent.labels,
    policyVersion: agent.reportedVersion === null ? null : formatVersion(agent.reportedVersion),
    outdated: isOutdated(agent.reportedVersion, latestVersion),
    online: isOnline(agent, offlineAfterSeconds),
    lastSeenAt: agent.lastSeenAt?.toISOString() ?? null,
    reportedVersionSince: agent.reportedVersionSince?.toISOString() ?? null,
    overrides: agent.overrides,
    revokedAt: agent.revokedAt?.toISOString() ?? null,
    createdAt: agent.createdAt.toISOString(),
  };
}

export type AgentJson = ReturnType<typeof toAgentJson>;
