import type { AgentJson } from "@/lib/agents/serialize";
import { Badge } from "./ui/badge";

/**
 * Revoked, online or offline, in words (never in colour alone), and `Stale` while the agent reports that it has had
 * no verified policy within its staleness bound (it enforces the last one it verified).
 */
export function AgentStatusBadge({ agent }: { agent: Pick<AgentJson, "revokedAt" | "online" | "reportedStatus"> }) {
  if (agent.revokedAt !== null) return <Badge tone="red">Revoked</Badge>;
  return (
    <span className="flex flex-wrap items-center gap-1.5">
      {agent.online ? <Badge tone="green">Online</Badge> : <Badge>Offline</Badge>}
      {agent.reportedStatus === "stale" && <Badge tone="amber">Stale</Badge>}
    </span>
  );
}

/** The last policy the agent refused to apply, and why, as its heartbeat reported it. */
export function AgentRefusal({ refusal }: { refusal: AgentJson["reportedRefusal"] }) {
  if (!refusal) return <span className="text-slate-500">none</span>;
  return (
    <span className="block text-sm">
      <Badge tone="red">Refused {refusal.version ?? "a policy"}</Badge> <span className="text-slate-700">{refusal.reason}</span>
    </span>
  );
}

/**
 * The version an agent reports, marked when it is not the one that applies to it (the active version, or a staged
 * rollout's for the agents its selector matches). `showTarget` also names the version that applies when they differ,
 * and `inRollout` marks an agent the rollout in progress targets.
 */
export function AgentVersionBadge({ agent, showTarget = false, inRollout = false }: { agent: Pick<AgentJson, "policyVersion" | "outdated" | "revokedAt" | "targetVersion">; showTarget?: boolean; inRollout?: boolean }) {
  const outdated = agent.outdated && agent.revokedAt === null;
  return (
    <span className="flex flex-wrap items-center gap-1.5">
      <span className="font-mono text-slate-900">{agent.policyVersion ?? "none"}</span>
      {outdated && <Badge tone="amber">Outdated</Badge>}
      {inRollout && agent.revokedAt === null && <Badge tone="blue">canary</Badge>}
      {outdated && showTarget && <span className="text-xs text-slate-600">{agent.targetVersion ? `${agent.targetVersion} applies` : "no version applies"}</span>}
    </span>
  );
}

export function AgentLabels({ labels }: { labels: Record<string, string> }) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return <span className="text-slate-500">none</span>;
  return (
    <ul className="flex flex-wrap gap-1" aria-label="Labels">
      {entries.map(([key, value]) => (
        <li key={key}>
          <Badge>
            {key}={value}
          </Badge>
        </li>
      ))}
    </ul>
  );
}
