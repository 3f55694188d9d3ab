import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { agentStreamEndpoint, consoleEventsEndpoint, heartbeatEndpoint, type PlaneEndpoint } from "@/lib/agents/data-plane";
import { env } from "@/lib/env";
import { ApiError } from "@/lib/errors";
import { SSE_HEADERS } from "@/lib/events/sse";
import { NodeResponseSink } from "@/lib/events/stream-sink";
import { apiSecurityHeaders } from "@/lib/security-headers";

/**
 * The lean path of the server entry: the data plane served on node:http directly, without Next's per-request
 * pipeline (which holds about 72 KB per open response and adds a promise chain per chunk). Same endpoints as the
 * route handlers; this adapter only reads the request and writes bytes.
 */
const ROUTES: Record<string, { method: string; endpoint: PlaneEndpoint }> = {
  "/api/agents/stream": { method: "GET", endpoint: agentStreamEndpoint },
  "/api/agents/heartbeat": { method: "POST", endpoint: heartbeatEndpoint },
  "/api/events": { method: "GET", endpoint: consoleEventsEndpoint },
};

/** The data-plane endpoint for this request, or null when it is Next's to answer. */
export function planeEndpointFor(request: IncomingMessage): PlaneEndpoint | null {
  const path = (request.url ?? "").split("?")[0]!;
  const route = ROUTES[path];
  return route && route.method === request.method ? route.endpoint : null;
}

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

/** Reads the body as text, refusing more than `limit` bytes without buffering the excess. */
function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(ApiError.payloadTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received <= limit) return void chunks.push(chunk);
      // Stop reading, and answer: the 413 closes the connection (destroying the request now would destroy the
      // socket before the answer is written).
      request.off("data", onData);
      request.pause();
      chunks.length = 0;
      reject(ApiError.payloadTooLarge(limit));
    };
    request.on("data", onData);
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/**
 * Serves one data-plane request; `clientAddress` is what the entry settled for it. Its responses carry the
 * security headers next.config.ts gives every API response.
 */
export async function servePlaneOverNode(endpoint: PlaneEndpoint, request: IncomingMessage, response: ServerResponse, clientAddress: string | null): Promise<void> {
  const forwardedProto = request.headers["x-forwarded-proto"];
  for (const [name, value] of Object.entries(apiSecurityHeaders(typeof forwardedProto === "string" ? forwardedProto : null))) response.setHeader(name, value);
  const left = new AbortController();
  response.once("close", () => left.abort());
  const result = await endpoint(
    {
      method: request.method ?? "GET",
      url: `http://${request.headers.host ?? "localhost"}${request.url ?? "/"}`,
      headers: headersOf(request),
      signal: left.signal,
      clientAddress,
      readBody: (limit) => readBody(request, limit),
    },
    (onClose) => new NodeResponseSink(response, SSE_HEADERS, env().SSE_MAX_BUFFER_BYTES, onClose),
  );
  // A stream writes its own status line with its first frame.
  if (result.kind === "stream") return;
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(result.status, { "Content-Type": "application/json", ...result.headers });
  response.end(JSON.stringify(result.body));
}
