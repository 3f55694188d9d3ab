import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { processSingleton } from "@/lib/singleton";

/**
 * The process's Prometheus metrics (served by app/metrics/route.ts). Everything on the agent data plane's hot
 * path (heartbeats, events fanned out, database operations) is a plain number incremented in place: no labels
 * to hash, nothing allocated per beat or per event; the metrics read those numbers when scraped. Rarer events
 * (a refused stream start, a failed sign-in, a request) use prom-client's counters directly.
 */
export const hotCounters = processSingleton("hot metric counters", () => ({
  heartbeats: 0,
  eventsFannedOut: 0,
  /** Database operations (a statement outside a transaction, or a whole transaction) not yet finished. */
  databaseOperations: 0,
  /** Connections the database pool may open: DATABASE_POOL_MAX, or 1 for PGlite. */
  databasePoolMax: 0,
  /** Audit streaming deliveries pending, as the delivery worker last counted them. */
  auditDeliveriesPending: 0,
}));

export type StreamRefusal = "too_many_starts" | "per_viewer_limit" | "shutting_down";
export type SignInFailure = "invalid_credentials" | "invalid_code" | "invalid_passkey" | "address_not_allowed";

const REQUEST_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Beats wait up to HEARTBEAT_FLUSH_MS (500 ms by default) before their batch is written.
const FLUSH_LAG_SECONDS_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10, 30];

/** A counter that reports a number kept elsewhere. */
function reportedCounter(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  reportedCounter(registry, "palisade_agent_heartbeats_total", "Agent heartbeats accepted by this instance.", () => hotCounters.heartbeats);
  reportedCounter(
    registry,
    "palisade_agent_events_fanned_out_total",
    "Agent events handed to open agent streams on this instance: one per stream per event.",
    () => hotCounters.eventsFannedOut,
  );
  new Gauge({
    name: "palisade_event_streams_open",
    help: "Event streams open on this instance: agent streams (/api/agents/stream) and console feeds (/api/events).",
    labelNames: ["stream"] as const,
    registers: [registry],
    async collect() {
      // Imported when scraped: the hub's modules import this one.
      const { hub } = await import("@/lib/events/hub");
      const open = hub().openStreams();
      this.set({ stream: "agent" }, open.agents);
      this.set({ stream: "console" }, open.consoles);
    },
  });
  new Gauge({
    name: "palisade_db_pool_max",
    help: "Connections the database pool may open (DATABASE_POOL_MAX; 1 for embedded PGlite).",
    registers: [registry],
    collect() {
      this.set(hotCounters.databasePoolMax);
    },
  });
  new Gauge({
    name: "palisade_db_pool_in_use",
    help: "Database connections busy with a statement or a transaction (counted by Palisade, at most palisade_db_pool_max).",
    registers: [registry],
    collect() {
      this.set(Math.min(hotCounters.databaseOperations, hotCounters.databasePoolMax));
    },
  });
  new Gauge({
    name: "palisade_db_pool_waiting",
    help: "Database statements and transactions waiting because every connection of the pool is busy.",
    registers: [registry],
    collect() {
      this.set(Math.max(0, hotCounters.databaseOperations - hotCounters.databasePoolMax));
    },
  });
  return {
    registry,
    httpRequests: new Counter({
      name: "palisade_http_requests_total",
      help: "HTTP requests answered, by method, route pattern and status.",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    httpRequestSeconds: new Histogram({
      name: "palisade_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by method, route pattern and status; event streams, which stay open, are not observed.",
      labelNames: ["method", "route", "status"] as const,
      buckets: REQUEST_SECONDS_BUCKETS,
      registers: [registry],
    }),
    streamStartsRefused: new Counter({
      name: "palisade_stream_starts_refused_total",
      help: "Event streams refused at their start: too_many_starts (503, STREAM_STARTS_MAX), per_viewer_limit (429), shutting_down (503).",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    heartbeatFlushLagSeconds: new Histogram({
      name: "palisade_heartbeat_flush_lag_seconds",
      help: "Per batch of heartbeats written: how long its oldest beat waited between being answered and being written.",
      buckets: FLUSH_LAG_SECONDS_BUCKETS,
      registers: [registry],
    }),
    signInFailures: new Counter({
      name: "palisade_sign_in_failures_total",
      help: "Refused sign-in attempts, by reason (throttled attempts are palisade_sign_in_throttled_total).",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    auditDeliveries: new Counter({
      name: "palisade_audit_deliveries_total",
      help: "Audit streaming deliveries attempted by this instance, by outcome: delivered (2xx), failed (to be retried), dead (given up).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    auditDeliveriesPending: new Gauge({
      name: "palisade_audit_deliveries_pending",
      help: "Audit streaming deliveries waiting to be sent or retried, all instances and organizations (the outbox's depth).",
      registers: [registry],
      // Counted by the delivery worker every few seconds: a scrape never waits for the database.
      collect() {
        this.set(hotCounters.auditDeliveriesPending);
      },
    }),
    signInThrottled: new Counter({
      name: "palisade_sign_in_throttled_total",
      help: "Sign-in attempts refused by throttling before any check ran.",
      registers: [registry],
    }),
  };
}

/** The metrics of this process, one set whichever bundle asks. */
export function metrics(): ReturnType<typeof createMetrics> {
  return processSingleton("metrics", createMetrics);
}

/** Every metric in the Prometheus text format, with its content type. */
export async function scrape(): Promise<{ contentType: string; text: string }> {
  const { registry } = metrics();
  return { contentType: registry.contentType, text: await registry.metrics() };
}
