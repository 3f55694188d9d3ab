import type { AgentPolicyVersion } from "@/db/schema";
import { DateTime } from "./date-time";
import { Badge } from "./ui/badge";

type Staged = Pick<AgentPolicyVersion, "stage" | "selector" | "promotedAt" | "abortedAt">;

/** Where a version stands in a staged rollout, as a badge; nothing for a version published to the whole fleet. */
export function PolicyVersionStageBadge({ version }: { version: Staged }) {
  if (version.stage === "canary") return <Badge tone="blue">canary · {version.selector}</Badge>;
  if (version.stage === "aborted") return <Badge>aborted</Badge>;
  if (version.promotedAt) return <Badge tone="indigo">promoted</Badge>;
  return null;
}

/** The same in a sentence, with the selector and when the rollout ended; null for a version published to the whole fleet. */
export function PolicyVersionStageText({ version }: { version: Staged }) {
  if (version.selector === null) return null;
  const selector = <code className="font-mono text-xs">{version.selector}</code>;
  if (version.stage === "canary") return <>Rolling out to the agents matching {selector}; the rest of the fleet keeps the active version.</>;
  if (version.stage === "aborted")
    return (
      <>
        Rolled out to {selector}, then aborted <DateTime value={version.abortedAt} fallback="" />: it applies to no agent.
      </>
    );
  return (
    <>
      Rolled out to {selector} first, then promoted to the whole fleet <DateTime value={version.promotedAt} fallback="" />.
    </>
  );
}
