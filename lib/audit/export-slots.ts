import { ApiError } from "@/lib/errors";
import { processSingleton } from "@/lib/singleton";
import { EXPORT_RETRY_AFTER_SECONDS, MAX_EXPORTS_PER_ORG, MAX_EXPORTS_PER_USER } from "./export";

/**
 * The exports running on this instance, counted by user and by organization. In memory, so the limits are
 * per instance: they bound this instance's memory and database reads, not an organization's total.
 */
class ExportSlots {
  private readonly byUser = new Map<string, number>();
  private readonly byOrg = new Map<string, number>();

  /**
   * Takes a slot for the user and the organization, or throws 429 when either is full. Returns the release,
   * which frees the slot once however many times it is called.
   */
  acquire(owner: { userId: string | null; orgId: string }): () => void {
    const userKey = owner.userId ?? `org:${owner.orgId}`;
    if ((this.byUser.get(userKey) ?? 0) >= MAX_EXPORTS_PER_USER) {
      throw ApiError.rateLimited(
        `You already have ${MAX_EXPORTS_PER_USER} exports in progress; try again when one has finished`,
        EXPORT_RETRY_AFTER_SECONDS,
      );
    }
    if ((this.byOrg.get(owner.orgId) ?? 0) >= MAX_EXPORTS_PER_ORG) {
      throw ApiError.rateLimited(
        `Your organization already has ${MAX_EXPORTS_PER_ORG} exports in progress; try again when one has finished`,
        EXPORT_RETRY_AFTER_SECONDS,
      );
    }
    increment(this.byUser, userKey, 1);
    increment(this.byOrg, owner.orgId, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      increment(this.byUser, userKey, -1);
      increment(this.byOrg, owner.orgId, -1);
    };
  }
}

function increment(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}

/** Takes an export slot for the caller (429 when none is free); call the returned function to free it. */
export function acquireExportSlot(owner: { userId: string | null; orgId: string }): () => void {
  // One count per process, however many bundles Next.js loads this module into.
  return processSingleton("export slots", () => new ExportSlots()).acquire(owner);
}
