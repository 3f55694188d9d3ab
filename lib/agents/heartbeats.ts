import { getPolicyVersion, loadVersionTargets, markVersionConverged } from "@/db/queries/agent-policies";
import { insertVersionReports, updateHeartbeats, type HeartbeatRecord } from "@/db/queries/agents";
import { lastFirstReport, onlineAgentsBehind } from "@/db/queries/convergence";
import { env } from "@/lib/env";
import { logError } from "@/lib/log";
import { hotCounters, metrics } from "@/lib/observability/metrics";
import { getDb, isDatabaseUnreachable } from "@/db";
import { recordAudit } from "@/lib/audit/log";
import { notifyFleetChange } from "@/lib/events/notifications";
import { processSingleton } from "@/lib/singleton";

/**
 * Writes a batch of heartbeats in one transaction: the agents' state, the first report of each version, and
 * an audit row for each agent whose reported hostname changed, so a renamed host is never silent.
 */
async function recordHeartbeats(batch: HeartbeatRecord[]): Promise<void> {
  await getDb().transaction(async (tx) => {
    const changes = await updateHeartbeats(batch, tx);
    await insertVersionReports(batch, tx);
    const ipOf = new Map(batch.map((beat) => [beat.agentId, beat.ip]));
    for (const change of changes) {
      await recordAudit(
        { orgId: change.orgId, userId: null, email: null, ip: ipOf.get(change.agentId) ?? null, userAgent: "palisade-agent" },
        {
          action: "agent_hostname_changed",
          resource: `agent:${change.agentId}`,
          details: `Agent ${change.agentId} reported a new hostname: ${JSON.stringify(change.previousHostname)} → ${JSON.stringify(change.hostname)}`,
          success: true,
          before: { hostname: change.previousHostname },
          after: { hostname: change.hostname },
        },
        tx,
      );
    }
  });
}

/**
 * Coalesces heartbeats: each agent's latest beat waits in memory and all of them are written together every
 * HEARTBEAT_FLUSH_MS, so 10,000 agents beating every 30 s cost a few statements a second, not 333 writes.
 */
class HeartbeatWriter {
  private pending = new Map<string, HeartbeatRecord>();
  /** Organizations with beats waiting in `pending`, and with beats in the batch being written. */
  private pendingOrgs = new Set<string>();
  private writingOrgs = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  record(beat: HeartbeatRecord): void {
    hotCounters.heartbeats++;
    this.pending.set(beat.agentId, beat);
    this.pendingOrgs.add(beat.orgId);
    this.flushLater();
  }

  private flushLater(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, env().HEARTBEAT_FLUSH_MS);
  }

  /**
   * Puts back the beats of a batch the database could not be reached for, under any newer beat of the same agent,
   * and tries again a flush interval later: a beat this instance answered is written once the database is back.
   */
  private keepForLater(batch: HeartbeatRecord[]): void {
    for (const beat of batch) {
      if (this.pending.has(beat.agentId)) continue;
      this.pending.set(beat.agentId, beat);
      this.pendingOrgs.add(beat.orgId);
    }
    this.flushLater();
    // Retrying alone must not keep a process that is otherwise done (a test, a stopping server) alive.
    this.timer?.unref();
  }

  /**
   * Resolves once every beat of the organization that this instance has answered is written, flushing now if
   * need be: a read of the fleet on this instance shows what its agents just reported, not a flush interval later.
   */
  async written(orgId: string): Promise<void> {
    if (this.pendingOrgs.has(orgId) || this.writingOrgs.has(orgId)) await this.flush();
  }

  /** Writes what is pending now, after any write in progress: batches go one at a time, in order. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending()).catch((error: unknown) => logError("writing heartbeats", error));
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.writingOrgs = this.pendingOrgs;
    this.pendingOrgs = new Set();
    try {
      if (batch.length === 0) return;
      const written = await this.write(batch).catch((error: unknown) => {
        if (isDatabaseUnreachable(error)) this.keepForLater(batch);
        throw error;
      });
      observeFlushLag(written);
      for (const orgId of new Set(written.map((beat) => beat.orgId))) {
        await this.afterFlush(orgId).catch((error: unknown) => logError("after writing heartbeats", error));
      }
    } finally {
      this.writingOrgs = new Set();
    }
  }

  /**
   * Writes a batch; when the batch fails, writes each half on its own, down to single beats, so one row the
   * database refuses costs only that beat and never another agent's (or another organization's). Returns the
   * beats written. A lost beat corrects itself with the agent's next one. A database that cannot be reached refuses
   * every half alike: that failure is thrown as it is, and the batch kept.
   */
  private async write(batch: HeartbeatRecord[]): Promise<HeartbeatRecord[]> {
    try {
      await recordHeartbeats(batch);
      return batch;
    } catch (error) {
      if (isDatabaseUnreachable(error)) throw error;
      if (batch.length === 1) {
        logError(`writing the heartbeat of agent ${batch[0]!.agentId}`, error);
        return [];
      }
      const middle = Math.ceil(batch.length / 2);
      return [...(await this.write(batch.slice(0, middle))), ...(await this.write(batch.slice(middle)))];
    }
  }

  /**
   * Records when the agents a version applies to converged on it, for the active version and a rollout's (only while
   * it has not: one count each), and wakes the consoles watching the organization.
   */
  private async afterFlush(orgId: string): Promise<void> {
    const targets = await loadVersionTargets({ orgId });
    for (const number of [targets.fleet, targets.rollout?.version]) {
      const version = number === null || number === undefined ? null : await getPolicyVersion({ orgId, version: number });
      if (!version || version.convergedAt) continue;
      const { online, outdated } = await onlineAgentsBehind({ orgId, version: version.version, targets, offlineAfterSeconds: env().AGENT_OFFLINE_AFTER_SECONDS });
      const at = online > 0 && outdated === 0 ? await lastFirstReport({ orgId, version: version.version }) : null;
      if (at) await markVersionConverged({ orgId, version: version.version, at });
    }
    await notifyFleetChange(orgId);
  }
}

/**
 * How long the oldest beat of a written batch waited since it was answered: the flush interval, plus any write
 * queued before its own, plus its own; and, while the database could not be reached, the time kept in memory.
 */
function observeFlushLag(written: HeartbeatRecord[]): void {
  if (written.length === 0) return;
  let oldest = Infinity;
  for (const beat of written) oldest = Math.min(oldest, beat.at.getTime());
  metrics().heartbeatFlushLagSeconds.observe((Date.now() - oldest) / 1000);
}

export function heartbeats(): HeartbeatWriter {
  return processSingleton("heartbeat writer", () => new HeartbeatWriter());
}
