import type { Agent } from "@/db/schema";

/**
 * What "online" and "outdated" mean, for code that holds agents in memory. The same rules in SQL, for queries
 * over the fleet, are in lib/agents/status-sql.ts. Safe for the browser.
 */
export const AGENT_STATUSES = ["all", "online", "offline", "outdated", "stale", "revoked"] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/**
 * What an agent says of its own policy in its heartbeats: `ok`, or `stale` (it has had no verified policy from the
 * control plane within its staleness bound, and enforces the last one it verified). Agents that never report it: null.
 */
export const REPORTED_POLICY_STATUSES = ["ok", "stale"] as const;
export type ReportedPolicyStatus = (typeof REPORTED_POLICY_STATUSES)[number];

/** A heartbeat within `offlineAfterSeconds`, and not revoked. */
export function isOnline(agent: Pick<Agent, "lastSeenAt" | "revokedAt">, offlineAfterSeconds: number, now = Date.now()): boolean {
  return agent.revokedAt === null && agent.lastSeenAt !== null && now - agent.lastSeenAt.getTime() < offlineAfterSeconds * 1000;
}

/**
 * Runs (or reported) another version than the one that applies to it: none, an older one, or a rollout's version
 * after it was aborted. Nothing is outdated before a version applies.
 */
export function isOutdated(reportedVersion: number | null, targetVersion: number | null): boolean {
  return (reportedVersion ?? 0) !== (targetVersion ?? 0);
}
