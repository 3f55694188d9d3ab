import { selects } from "./selector";
import type { PolicyState, PolicyVersionEventPayload, VersionTargets } from "./types";

export const NO_POLICY: PolicyState = { fleet: null, rollout: null };

/** The state a `policy_version` event carries. Events written before staged rollouts carry the fleet's version alone. */
export function policyStateOf(payload: unknown): PolicyState {
  if (payload && typeof payload === "object" && "fleet" in payload) return payload as PolicyState;
  return { fleet: (payload as PolicyVersionEventPayload | null) ?? null, rollout: null };
}

/** The version that applies to an agent with these labels: the rollout's when its selector matches, else the fleet's. */
export function versionFor(state: PolicyState, labels: Record<string, string>): PolicyVersionEventPayload | null {
  return state.rollout && selects(state.rollout.selector, labels) ? state.rollout.version : state.fleet;
}

/** The version number that applies to an agent with these labels (null: none yet). */
export function targetVersion(targets: Omit<VersionTargets, "highest">, labels: Record<string, string>): number | null {
  return targets.rollout && selects(targets.rollout.selector, labels) ? targets.rollout.version : targets.fleet;
}
