import type { Agent } from "@/db/schema";
import { formatVersion } from "@/lib/agent-policy/rules";
import { targetVersion } from "@/lib/agent-policy/state";
import type { VersionTargets } from "@/lib/agent-policy/types";
import { isOnline, isOutdated, type ReportedPolicyStatus } from "./status";

/** An agent as the API and the console show it: `targetVersion` is the version that applies to it. */
export function toAgentJson(agent: Agent, targets: Omit<VersionTargets, "highest">, offlineAfterSeconds: number) {
  const target = targetVersion(targets, agent.labels);
  return {
    id: agent.id,
    hostname: agent.hostname,
    agentVersion: agent.agentVersion,
    labels: agent.labels,
    policyVersion: agent.reportedVersion === null ? null : formatVersion(agent.reportedVersion),
    targetVersion: target === null ? null : formatVersion(target),
    outdated: isOutdated(agent.reportedVersion, target),
    online: isOnline(agent, offlineAfterSeconds),
    lastSeenAt: agent.lastSeenAt?.toISOString() ?? null,
    reportedVersionSince: agent.reportedVersionSince?.toISOString() ?? null,
    overrides: agent.overrides,
    reportedStatus: agent.reportedStatus as ReportedPolicyStatus | null,
    reportedRefusal: agent.reportedRefusal,
    revokedAt: agent.revokedAt?.toISOString() ?? null,
    createdAt: agent.createdAt.toISOString(),
  };
}

export type AgentJson = ReturnType<typeof toAgentJson>;
