import "server-only";
import { getActivePolicyVersion } from "@/db/queries/agent-policies";
import { hub } from "@/lib/events/hub";
import { processSingleton } from "@/lib/singleton";

// Heartbeats ask for the latest version thousands of times a minute; it changes only on publish.
const TTL_MS = 5000;

type LatestVersions = Map<string, { version: number | null; at: number }>;

/** The cache, dropped for an organization on any of its events, and wholly when notifications may have been missed. */
function latestVersions(): LatestVersions {
  return processSingleton("latest agent policy versions", () => {
    const cache: LatestVersions = new Map();
    hub().onAgentEvent(
      (notice) => cache.delete(notice.orgId),
      () => cache.clear(),
    );
    return cache;
  });
}

/**
 * The organization's active version number, cached briefly. `fresh` reads the database, for a caller that must not
 * act on a cache that may lag a publish on another instance.
 */
export async function latestVersion(orgId: string, { fresh = false } = {}): Promise<number | null> {
  const cache = latestVersions();
  const hit = cache.get(orgId);
  if (!fresh && hit && Date.now() - hit.at < TTL_MS) return hit.version;
  const version = (await getActivePolicyVersion({ orgId }))?.version ?? null;
  cache.set(orgId, { version, at: Date.now() });
  return version;
}
