import { firstReportedAt } from "@/db/queries/agents";
import { getActivePolicyVersion } from "@/db/queries/agent-policies";
import { okResponse, userRoute } from "@/lib/api/route";
import { requireAgent } from "@/lib/agents/lookup";
import { effectiveRules, formatVersion } from "@/lib/agent-policy/rules";

/**
 * The rules an agent enforces: the active version with its overrides applied. `policyVersion` is what the
 * agent last reported; `appliedAt` is when it first reported the active version (null until it has).
 */
export const GET = userRoute<{ id: string }>({ family: "envelope", role: "viewer" }, async ({ params, actor }) => {
  const agent = await requireAgent(actor.orgId, params.id);
  const active = await getActivePolicyVersion({ orgId: actor.orgId });
  const appliedAt = active ? await firstReportedAt({ agentId: agent.id, version: active.version }) : null;
  return okResponse({
    agentId: agent.id,
    policyVersion: agent.reportedVersion === null ? null : formatVersion(agent.reportedVersion),
    rules: active ? effectiveRules(active.rules, agent.overrides) : [],
    appliedAt: appliedAt?.toISOString() ?? null,
    overrides: agent.overrides,
  });
});
