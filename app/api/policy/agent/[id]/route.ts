import { firstReportedAt } from "@/db/queries/agents";
import { okResponse, userRoute } from "@/lib/api/route";
import { requireAgent } from "@/lib/agents/lookup";
import { versionForAgent } from "@/lib/agent-policy/lookup";
import { effectiveRules, formatVersion } from "@/lib/agent-policy/rules";
import { toRolloutJson } from "@/lib/agent-policy/serialize";

/**
 * The rules an agent enforces: the version that applies to it (the active one, or a rollout's when the agent's labels
 * match its selector) with its overrides applied. `policyVersion` is what the agent last reported; `appliedAt` is when
 * it first reported the version that applies (null until it has).
 */
export const GET = userRoute<{ id: string }>({ family: "envelope", role: "viewer" }, async ({ params, actor }) => {
  const agent = await requireAgent(actor.orgId, params.id);
  const { version, rollout } = await versionForAgent(agent);
  const appliedAt = version ? await firstReportedAt({ agentId: agent.id, version: version.version }) : null;
  return okResponse({
    agentId: agent.id,
    policyVersion: agent.reportedVersion === null ? null : formatVersion(agent.reportedVersion),
    rules: version ? effectiveRules(version.rules, agent.overrides) : [],
    appliedAt: appliedAt?.toISOString() ?? null,
    overrides: agent.overrides,
    targetVersion: version ? formatVersion(version.version) : null,
    rollout: rollout && toRolloutJson(rollout, version?.id === rollout.id),
  });
});
