import "server-only";
import { clearPresence, remoteLabelCounts, remoteStreamCount, savePresence } from "@/db/queries/stream-presence";
import type { LabelSetCount } from "@/lib/agent-policy/types";
import { engineCapabilities } from "@/db";
import { logError } from "@/lib/log";

/**
 * How many agents each instance holds, so `broadcastedTo` can count the organization's agents on every
 * instance. Only an engine shared by several processes has other instances to count with.
 */
export interface PresenceReporter {
  /** The organization's count on this instance changed. */
  changed(orgId: string): void;
  /** Agents of the organization connected to the other live instances. */
  remoteAgents(orgId: string): Promise<number>;
  /** Those agents by label set, so a rollout's selector can be counted against them. */
  remoteLabelCounts(orgId: string): Promise<LabelSetCount[]>;
  /** Removes this instance's presence, on shutdown, so peers stop counting it at once. */
  stop(): Promise<void>;
}

/** With PGlite there are no other instances. */
const alone: PresenceReporter = {
  changed: () => {},
  remoteAgents: async () => 0,
  remoteLabelCounts: async () => [],
  stop: async () => {},
};

// Changed counts are saved every second; all of them every 10 s, so peers can tell live instances from dead ones.
const SAVE_INTERVAL_MS = 1000;
const REFRESH_INTERVAL_MS = 10_000;

/** With PostgreSQL: this instance's counts in `stream_presence`, refreshed by one timer, never one per connection. */
class SharedPresence implements PresenceReporter {
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private refreshedAt = 0;

  constructor(
    private readonly instanceId: string,
    private readonly local: LocalStreams,
  ) {}

  changed(orgId: string): void {
    this.dirty.add(orgId);
    this.timer ??= setInterval(() => void this.save(), SAVE_INTERVAL_MS).unref();
  }

  remoteAgents(orgId: string): Promise<number> {
    return remoteStreamCount({ instanceId: this.instanceId, orgId });
  }

  remoteLabelCounts(orgId: string): Promise<LabelSetCount[]> {
    return remoteLabelCounts({ instanceId: this.instanceId, orgId });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await clearPresence({ instanceId: this.instanceId }).catch((error) => logError("clearing stream presence", error));
  }

  private async save(): Promise<void> {
    const refresh = Date.now() - this.refreshedAt > REFRESH_INTERVAL_MS;
    const orgs = new Set(refresh ? [...this.local.organizations(), ...this.dirty] : this.dirty);
    this.dirty.clear();
    if (orgs.size === 0) return;
    const counts = new Map([...orgs].map((orgId) => [orgId, { connections: this.local.count(orgId), labelCounts: this.local.labelCounts(orgId) }]));
    try {
      await savePresence({ instanceId: this.instanceId, counts });
      if (refresh) this.refreshedAt = Date.now();
    } catch (error) {
      orgs.forEach((orgId) => this.dirty.add(orgId));
      logError("saving stream presence", error);
    }
  }
}

/** What the hub tells the reporter about the streams it holds. */
interface LocalStreams {
  count: (orgId: string) => number;
  labelCounts: (orgId: string) => LabelSetCount[];
  organizations: () => Iterable<string>;
}

export function createPresenceReporter(instanceId: string, local: LocalStreams): PresenceReporter {
  return engineCapabilities().sharedAcrossProcesses ? new SharedPresence(instanceId, local) : alone;
}
