import type { FleetConvergence } from "@/db/queries/convergence";
import type { AgentPolicyVersion } from "@/db/schema";
import { formatVersion } from "./rules";
import { signPolicy } from "./signatures";

/**
 * A version as the Agent Policy API document shows it (`id, name, version, rules, createdAt`), plus its description
 * and origin, and its signature: the version's own document (any agent of the organization, issued at its version).
 */
export function toPolicyVersionJson(version: AgentPolicyVersion) {
  const signed = signPolicy(
    { policyVersion: formatVersion(version.version), policyId: version.id, name: version.name, rules: version.rules },
    { orgId: version.orgId, agentId: null, selector: null, highestVersion: version.version },
  );
  return {
    id: version.id,
    name: version.name,
    description: version.description,
    version: formatVersion(version.version),
    rules: version.rules,
    createdAt: version.createdAt.toISOString(),
    createdBy: version.createdBy,
    republishedFrom: version.republishedFrom === null ? null : formatVersion(version.republishedFrom),
    stage: version.stage,
    selector: version.selector,
    promotedAt: version.promotedAt?.toISOString() ?? null,
    abortedAt: version.abortedAt?.toISOString() ?? null,
    ...signed,
  };
}

/** A rollout in progress as an agent's view shows it: its version, selector, and whether it applies to this agent. */
export function toRolloutJson(rollout: AgentPolicyVersion, targeted: boolean) {
  return { version: formatVersion(rollout.version), selector: rollout.selector, targeted };
}

export function toConvergenceJson(fleet: FleetConvergence) {
  return {
    latestVersion: fleet.latestVersion === null ? null : formatVersion(fleet.latestVersion),
    agents: fleet.agents,
    versions: fleet.versions.map((version) => ({
      version: formatVersion(version.version),
      name: version.name,
      stage: version.stage,
      selector: version.selector,
      createdAt: version.createdAt.toISOString(),
      applied: version.applied,
      convergedAt: version.convergedAt?.toISOString() ?? null,
      convergenceSeconds: version.convergedAt ? (version.convergedAt.getTime() - version.createdAt.getTime()) / 1000 : null,
    })),
  };
}
