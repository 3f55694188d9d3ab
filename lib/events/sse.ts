/** Server-Sent Events framing. Frames are encoded once and the same bytes are written to every client. */
import { ApiError } from "@/lib/errors";
import { metrics } from "@/lib/observability/metrics";
import { hub } from "./hub";
import type { StreamSink } from "./stream-sink";

const encoder = new TextEncoder();

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  "X-Accel-Buffering": "no",
} as const;

/** One event. `data` is JSON, which never contains a raw newline, so it fits on one `data:` line. */
export function encodeEvent(event: string, data: unknown, id?: number): Uint8Array {
  const idLine = id === undefined ? "" : `id: ${id}\n`;
  return encoder.encode(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

export const KEEPALIVE_FRAME = encoder.encode(": keep-alive\n\n");

/** The last words of a stream ended because its agent opened a newer one. */
export const REPLACED_FRAME = encoder.encode(": replaced by a newer stream of this agent\n\n");

/** The reconnection delay hint, jittered per connection so a restart does not bring every client back at once. */
export function retryFrame(baseMs = 3000, jitterMs = 2000): Uint8Array {
  return encoder.encode(`retry: ${baseMs + Math.floor(Math.random() * jitterMs)}\n\n`);
}

/** A stream opened on an instance that is shutting down answers 503, so the client reconnects to another one. */
export function refuseWhenShuttingDown(): void {
  if (!hub().isStopping) return;
  metrics().streamStartsRefused.inc({ reason: "shutting_down" });
  throw ApiError.unavailable("This server is shutting down. Reconnect.", 1);
}

/**
 * Ends the stream when its client disconnects. Called before the stream's first await: a client that leaves
 * while the stream is being set up must not stay registered (the hub skips a sink that is already closed).
 */
export function closeWhenClientLeaves(signal: AbortSignal, sink: StreamSink): void {
  if (signal.aborted) sink.close();
  else signal.addEventListener("abort", () => sink.close(), { once: true });
}
