/** Server-Sent Events framing. Frames are encoded once and the same bytes are written to every client. */

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

/** The reconnection delay hint, jittered per connection so a restart does not bring every client back at once. */
export function retryFrame(baseMs = 3000, jitterMs = 2000): Uint8Array {
  return encoder.encode(`retry: ${baseMs + Math.floor(Math.random() * jitterMs)}\n\n`);
}
