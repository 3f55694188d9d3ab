import { highestPolicyVersion } from "@/db/queries/agent-policies";
import { firstReportedAt } from "@/db/queries/agents";
import { okResponse, userRoute } from "@/lib/api/route";
import { requireAgent } from "@/lib/agents/lookup";
import { versionForAgent } from "@/lib/agent-policy/lookup";
import { effectiveRules, formatVersion } from "@/lib/agent-policy/rules";
import { toRolloutJson } from "@/lib/agent-policy/serialize";
import { agentPolicyScope, signPolicy } from "@/lib/agent-policy/signatures";

/**
 * The rules an agent enforces: the version that applies to it (the active one, or a rollout's when the agent's labels
 * match its selector) with its overrides applied. `policyVersion` is what the agent last reported; `appliedAt` is when
 * it first reported the version that applies (null until it has). Signed like the stream's frames: the signed
 * document's version is `targetVersion`.
 */
export const GET = userRoute<{ id: string }>({ family: "envelope", role: "viewer" }, async ({ params, actor }) => {
  const agent = await requireAgent(actor.orgId, params.id);
  const { version, rollout } = await versionForAgent(agent);
  const [appliedAt, highestVersion] = await Promise.all([
    version ? firstReportedAt({ agentId: agent.id, version: version.version }) : null,
    highestPolicyVersion({ orgId: agent.orgId }),
  ]);
  const policy = {
    policyVersion: version ? formatVersion(version.version) : null,
    policyId: version?.id ?? null,
    name: version?.name ?? null,
    rules: version ? effectiveRules(version.rules, agent.overrides) : [],
  };
  const scope = agentPolicyScope({ orgId: agent.orgId, agentId: agent.id, overrides: agent.overrides }, version?.stage === "canary" ? version.selector : null, highestVersion);
  return okResponse({
    agentId: agent.id,
    policyVersion: agent.reportedVersion === null ? null : formatVersion(agent.reportedVersion),
    policyId: policy.policyId,
    name: policy.name,
    rules: policy.rules,
    appliedAt: appliedAt?.toISOString() ?? null,
    overrides: agent.overrides,
    targetVersion: version ? formatVersion(version.version) : null,
    rollout: rollout && toRolloutJson(rollout, version?.id === rollout.id),
    ...signPolicy(policy, scope),
  });
});
