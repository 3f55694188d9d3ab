import { getActivePolicyVersion } from "@/db/queries/agent-policies";
import { hub } from "./hub";

// Heartbeats ask for the latest version thousands of times a minute; it changes only on publish.
const TTL_MS = 5000;
const cache = new Map<string, { version: number | null; at: number }>();
let invalidating = false;

/**
 * The organization's active version number, cached briefly and dropped on any event of the organization.
 * `fresh` reads the database, for a caller that must not act on a cache that may lag a publish on another instance.
 */
export async function latestVersion(orgId: string, { fresh = false } = {}): Promise<number | null> {
  if (!invalidating) {
    invalidating = true;
    hub().onAgentEvent(
      (notice) => cache.delete(notice.orgId),
      () => cache.clear(),
    );
  }
  const hit = cache.get(orgId);
  if (!fresh && hit && Date.now() - hit.at < TTL_MS) return hit.version;
  const version = (await getActivePolicyVersion({ orgId }))?.version ?? null;
  cache.set(orgId, { version, at: Date.now() });
  return version;
}
