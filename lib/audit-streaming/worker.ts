import "server-only";
import { auditRowsBySeq, claimDueDeliveries, destinationTargets, markDelivered, markFailed, pendingDeliveryCount, type ClaimedDelivery } from "@/db/queries/audit-deliveries";
import type { AuditLog } from "@/db/schema";
import { decryptSecret } from "@/lib/auth/crypto";
import { logError } from "@/lib/log";
import { hotCounters, metrics } from "@/lib/observability/metrics";
import { processSingleton } from "@/lib/singleton";
import { sendDelivery, type SendResult } from "./sender";
import { toDeliveryPayload } from "./serialize";

export interface DeliveryWorkerOptions {
  /** How long an idle worker waits before looking for due deliveries again. */
  pollMs: number;
  /** The most deliveries claimed at once (at most one per destination: see claimDueDeliveries). */
  batch: number;
  /** How long a claim holds a row; longer than a delivery can take (connect + answer deadlines). */
  leaseSeconds: number;
  /** Attempts before a delivery is dead. */
  maxAttempts: number;
  /** The first retry waits up to this long; each further one up to twice as long, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** 12 attempts over roughly 10 s, 20 s, 40 s … 1 h: about five hours of an unreachable SIEM before a row is dead. */
export const DEFAULT_WORKER_OPTIONS: DeliveryWorkerOptions = {
  pollMs: 2_000,
  batch: 50,
  leaseSeconds: 60,
  maxAttempts: 12,
  baseDelayMs: 10_000,
  maxDelayMs: 60 * 60 * 1000,
};

/**
 * Exponential backoff with full jitter: a random wait between 0 and min(cap, base × 2^(attempts − 1)), so that
 * instances retrying a SIEM that was down do not all come back at the same moment.
 */
export function retryDelayMs(attempts: number, options: Pick<DeliveryWorkerOptions, "baseDelayMs" | "maxDelayMs">, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Sends the outbox (audit_deliveries), on every instance: claims due rows, POSTs each signed, records the outcome.
 * All of its state is in the database, so a restarted worker carries on where the last one stopped; a claim cut
 * short by a crash comes due again when its lease ends (at-least-once delivery).
 */
export class DeliveryWorker {
  private readonly options: DeliveryWorkerOptions;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private countedAt = 0;

  constructor(options: Partial<DeliveryWorkerOptions> = {}) {
    this.options = { ...DEFAULT_WORKER_OPTIONS, ...options };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops claiming; resolves once the deliveries in flight have their outcome recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let sent = 0;
      try {
        sent = await this.runOnce();
        await this.countQueue();
        failures = 0;
      } catch (error) {
        // The database is down, most likely: say so once in a while, not every poll.
        if (failures++ % 10 === 0) logError("audit streaming", error);
      }
      // Work found: look again at once (a destination's next row is due as soon as this one is delivered).
      const wait = failures > 0 ? Math.min(30_000, this.options.pollMs * 2 ** Math.min(failures, 4)) : this.options.pollMs;
      if (sent === 0 && this.running) await this.sleep(wait);
    }
  }

  /** The queue depth metric, refreshed every 15 s at most. */
  private async countQueue(): Promise<void> {
    if (Date.now() - this.countedAt < 15_000) return;
    this.countedAt = Date.now();
    hotCounters.auditDeliveriesPending = await pendingDeliveryCount();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      this.wake = done;
    });
  }

  /** One round: claims what is due, sends it, records each outcome. Returns how many deliveries it attempted. */
  async runOnce(): Promise<number> {
    const claimed = await claimDueDeliveries({ limit: this.options.batch, leaseSeconds: this.options.leaseSeconds });
    if (claimed.length === 0) return 0;
    const rows = new Map((await auditRowsBySeq(claimed.map((delivery) => delivery.auditSeq))).map((row) => [row.seq, row]));
    const targets = new Map((await destinationTargets([...new Set(claimed.map((delivery) => delivery.destinationId))])).map((target) => [target.id, target]));
    // One row per destination: each goes out in parallel with the other destinations'.
    await Promise.all(claimed.map((delivery) => this.deliver(delivery, rows.get(delivery.auditSeq), targets.get(delivery.destinationId))));
    return claimed.length;
  }

  private async attempt(delivery: ClaimedDelivery, row: AuditLog | undefined, target: { url: string; sealedSecret: string } | undefined): Promise<SendResult> {
    if (!row || !target) return { ok: false, status: null, error: "The audit row or the destination no longer exists" };
    let secret: string;
    try {
      secret = decryptSecret(target.sealedSecret);
    } catch {
      return { ok: false, status: null, error: "The destination's secret cannot be read (AUTH_SECRET changed?): set it again" };
    }
    try {
      return await sendDelivery({ url: target.url, secret, body: JSON.stringify(toDeliveryPayload(row)), deliveryId: delivery.id });
    } catch (error) {
      logError("audit streaming", error);
      return { ok: false, status: null, error: "Delivery failed" };
    }
  }

  private async deliver(delivery: ClaimedDelivery, row: AuditLog | undefined, target: { url: string; sealedSecret: string } | undefined): Promise<void> {
    const result = await this.attempt(delivery, row, target);
    if (result.ok) {
      await markDelivered({ id: delivery.id, destinationId: delivery.destinationId, status: result.status! });
      metrics().auditDeliveries.inc({ outcome: "delivered" });
      return;
    }
    const dead = await markFailed({
      id: delivery.id,
      destinationId: delivery.destinationId,
      status: result.status,
      error: result.error ?? "Delivery failed",
      retryInMs: retryDelayMs(delivery.attempts, this.options),
      maxAttempts: this.options.maxAttempts,
    });
    metrics().auditDeliveries.inc({ outcome: dead ? "dead" : "failed" });
  }
}

/** The worker of this process, started at boot (lib/server/boot.ts). */
export function processDeliveryWorker(): DeliveryWorker {
  return processSingleton("audit delivery worker", () => new DeliveryWorker());
}
