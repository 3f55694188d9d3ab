import { getActivePolicyVersion, getPolicyVersion, getRolloutVersion } from "@/db/queries/agent-policies";
import type { Agent, AgentPolicyVersion } from "@/db/schema";
import { selects } from "./selector";
import { ApiError } from "@/lib/errors";
import { parseVersion } from "./rules";

/** The organization's version named in a URL ("v3" or "3"), or the 404 the Agent Policy API answers. */
export async function requireVersion(orgId: string, param: string): Promise<AgentPolicyVersion> {
  const number = parseVersion(param);
  const version = number === null ? null : await getPolicyVersion({ orgId, version: number });
  if (!version) throw ApiError.notFound(`Policy version ${param} not found`);
  return version;
}

/**
 * The version that applies to an agent (a rollout's, when its selector matches the agent's labels; else the active
 * one), the rollout in progress if any, and the version targets they make.
 */
export async function versionForAgent(agent: Pick<Agent, "orgId" | "labels">) {
  const [fleet, rollout] = await Promise.all([getActivePolicyVersion({ orgId: agent.orgId }), getRolloutVersion({ orgId: agent.orgId })]);
  const targets = { fleet: fleet?.version ?? null, rollout: rollout?.selector ? { version: rollout.version, selector: rollout.selector } : null };
  return { version: rollout?.selector && selects(rollout.selector, agent.labels) ? rollout : fleet, rollout, targets };
}
