import "server-only";
import { loadVersionTargets } from "@/db/queries/agent-policies";
import { hub } from "@/lib/events/hub";
import { processSingleton } from "@/lib/singleton";
import type { VersionTargets } from "./types";

// Heartbeats ask which version applies thousands of times a minute; it changes only on publish, promote or abort.
const TTL_MS = 5000;

type CachedTargets = Map<string, { targets: VersionTargets; at: number }>;

/** The cache, dropped for an organization on any of its events, and wholly when notifications may have been missed. */
function cachedTargets(): CachedTargets {
  return processSingleton("agent policy version targets", () => {
    const cache: CachedTargets = new Map();
    hub().onAgentEvent(
      (notice) => cache.delete(notice.orgId),
      () => cache.clear(),
    );
    return cache;
  });
}

/**
 * Which versions apply in the organization (the fleet's, a rollout's, the highest published), cached briefly.
 * `fresh` reads the database, for a caller that must not act on a cache that may lag a publish on another instance.
 */
export async function versionTargets(orgId: string, { fresh = false } = {}): Promise<VersionTargets> {
  const cache = cachedTargets();
  const hit = cache.get(orgId);
  if (!fresh && hit && Date.now() - hit.at < TTL_MS) return hit.targets;
  const targets = await loadVersionTargets({ orgId });
  cache.set(orgId, { targets, at: Date.now() });
  return targets;
}
