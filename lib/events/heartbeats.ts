import { getActivePolicyVersion, markVersionConverged } from "@/db/queries/agent-policies";
import { recordHeartbeats, type HeartbeatRecord } from "@/db/queries/agents";
import { lastFirstReport, notifyFleetChange, onlineAgentsBehind } from "@/db/queries/convergence";
import { env } from "@/lib/env";
import { logError } from "@/lib/log";
import { FLEET_CHANNEL } from "./hub";

/**
 * Coalesces heartbeats: each agent's latest beat waits in memory and all of them are written together every
 * HEARTBEAT_FLUSH_MS, so 10,000 agents beating every 30 s cost a few statements a second, not 333 writes.
 */
class HeartbeatWriter {
  private pending = new Map<string, HeartbeatRecord>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  record(beat: HeartbeatRecord): void {
    this.pending.set(beat.agentId, beat);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, env().HEARTBEAT_FLUSH_MS);
  }

  /** Writes what is pending now (tests and shutdown call this directly). */
  async flush(): Promise<void> {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    if (batch.length === 0) return;
    try {
      await recordHeartbeats(batch);
      for (const orgId of new Set(batch.map((beat) => beat.orgId))) await this.afterFlush(orgId);
    } catch (error) {
      // A lost batch corrects itself with the agents' next beats.
      logError("writing heartbeats", error);
    }
  }

  /**
   * Records when the fleet converged on the active version (only while it has not: one count), and wakes the
   * consoles watching the organization.
   */
  private async afterFlush(orgId: string): Promise<void> {
    const latest = await getActivePolicyVersion({ orgId });
    if (latest && !latest.convergedAt) {
      const { online, outdated } = await onlineAgentsBehind({ orgId, version: latest.version, offlineAfterSeconds: env().AGENT_OFFLINE_AFTER_SECONDS });
      const at = online > 0 && outdated === 0 ? await lastFirstReport({ orgId, version: latest.version }) : null;
      if (at) await markVersionConverged({ orgId, version: latest.version, at });
    }
    await notifyFleetChange({ orgId, channel: FLEET_CHANNEL });
  }
}

const globalForHeartbeats = globalThis as unknown as { palisadeHeartbeats?: HeartbeatWriter };

export function heartbeats(): HeartbeatWriter {
  globalForHeartbeats.palisadeHeartbeats ??= new HeartbeatWriter();
  return globalForHeartbeats.palisadeHeartbeats;
}
