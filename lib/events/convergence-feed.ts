import { fleetConvergence } from "@/db/queries/convergence";
import { heartbeats } from "@/lib/agents/heartbeats";
import { toConvergenceJson } from "@/lib/agent-policy/serialize";
import { env } from "@/lib/env";
import { logError } from "@/lib/log";
import { metrics } from "@/lib/observability/metrics";
import { processSingleton } from "@/lib/singleton";
import { hub } from "./hub";
import { ApiError } from "@/lib/errors";
import { closeWhenClientLeaves, encodeEvent, refuseWhenShuttingDown, retryFrame } from "./sse";
import type { SinkFactory, StreamSink } from "./stream-sink";

// At most one recomputation a second per organization, however many heartbeats and consoles.
const MIN_INTERVAL_MS = 1000;
// A console tab holds one stream; a few tabs or scripts are plenty, and each stream costs memory.
export const MAX_STREAMS_PER_VIEWER = 5;

interface Watchers {
  sinks: Set<StreamSink>;
  timer: NodeJS.Timeout | null;
  lastSentAt: number;
}

/**
 * The console's live fleet figures: a `convergence` event on connect and after every heartbeat flush or agent
 * event of the organization, on any instance (both reach this instance through the hub). One computation is
 * shared by every console watching the organization.
 */
class ConvergenceFeed {
  private readonly watchers = new Map<string, Watchers>();
  private readonly streamsByViewer = new Map<string, number>();

  constructor() {
    hub().onFleetChange((orgId) => this.schedule(orgId));
    hub().onAgentEvent((notice) => this.schedule(notice.orgId));
  }

  /**
   * Opens a console's stream of the organization's figures. `viewer` names the credential (a user's sessions,
   * or one API token): each may hold MAX_STREAMS_PER_VIEWER streams on an instance, and a further one is refused.
   */
  async open({ orgId, viewer, signal }: { orgId: string; viewer: string; signal: AbortSignal }, openSink: SinkFactory): Promise<StreamSink> {
    refuseWhenShuttingDown();
    const held = this.streamsByViewer.get(viewer) ?? 0;
    if (held >= MAX_STREAMS_PER_VIEWER) {
      metrics().streamStartsRefused.inc({ reason: "per_viewer_limit" });
      throw ApiError.rateLimited(`At most ${MAX_STREAMS_PER_VIEWER} live event streams can be open at once per user or API token. Close one (a browser tab, a script) and retry.`, 10);
    }
    this.streamsByViewer.set(viewer, held + 1);
    const sink: StreamSink = openSink(() => {
      this.remove(orgId, sink);
      this.release(viewer);
    });
    let watchers = this.watchers.get(orgId);
    if (!watchers) this.watchers.set(orgId, (watchers = { sinks: new Set(), timer: null, lastSentAt: 0 }));
    watchers.sinks.add(sink);
    closeWhenClientLeaves(signal, sink);
    try {
      await hub().addSink(orgId, sink);
      sink.write(retryFrame());
      const frame = await this.frame(orgId);
      sink.write(frame);
    } catch (error) {
      sink.close();
      throw error;
    }
    return sink;
  }

  private release(viewer: string): void {
    const held = (this.streamsByViewer.get(viewer) ?? 1) - 1;
    if (held > 0) this.streamsByViewer.set(viewer, held);
    else this.streamsByViewer.delete(viewer);
  }

  private remove(orgId: string, sink: StreamSink): void {
    hub().removeSink(orgId, sink);
    const watchers = this.watchers.get(orgId);
    watchers?.sinks.delete(sink);
    if (watchers?.sinks.size === 0) {
      if (watchers.timer) clearTimeout(watchers.timer);
      this.watchers.delete(orgId);
    }
  }

  private schedule(orgId: string): void {
    const watchers = this.watchers.get(orgId);
    if (!watchers || watchers.timer) return;
    const wait = Math.max(0, watchers.lastSentAt + MIN_INTERVAL_MS - Date.now());
    watchers.timer = setTimeout(() => {
      watchers.timer = null;
      watchers.lastSentAt = Date.now();
      this.frame(orgId)
        .then((frame) => watchers.sinks.forEach((sink) => sink.write(frame)))
        .catch((error) => logError("convergence feed", error));
    }, wait);
  }

  private async frame(orgId: string): Promise<Uint8Array> {
    await heartbeats().written(orgId);
    const fleet = await fleetConvergence({ orgId, offlineAfterSeconds: env().AGENT_OFFLINE_AFTER_SECONDS });
    return encodeEvent("convergence", toConvergenceJson(fleet));
  }
}

export function convergenceFeed(): ConvergenceFeed {
  return processSingleton("convergence feed", () => new ConvergenceFeed());
}
