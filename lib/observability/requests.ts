import type { IncomingMessage, ServerResponse } from "node:http";
import { logger } from "@/lib/log";
import { metrics } from "./metrics";
import { currentRequestContext, newRequestContext, REQUEST_ID_HEADER, requestIdFrom, runInRequestContext, type RequestContext } from "./request-context";
import { routePattern } from "./routes";

/**
 * One log line and the request metrics for every request, written by the first layer that sees it: the server
 * entry (scripts/server.ts) under `npm start`, which sees every request, pages and the lean data plane included;
 * otherwise the route handler's wrapper (`next start`, `next dev`, Vercel, tests). The entry's request context
 * reaches the route handlers it calls, which is how they know not to count a request twice.
 */

/** Logged at debug rather than info: every agent beats every 30 s and holds a stream open; scrapers and probes poll. */
const QUIET_ROUTES = new Set(["/api/agents/heartbeat", "/api/agents/stream", "/api/events", "/metrics", "/api/health"]);
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** The client left before it was answered (nginx's code, as lib/api/route.ts answers it). */
const CLIENT_CLOSED = 499;
const LOGGED_PATH_MAX = 512;

interface Answered {
  method: string;
  path: string;
  status: number;
  seconds: number;
  /** An event stream stays open as long as its client: its duration is no latency. */
  eventStream: boolean;
  context: RequestContext;
}

function recordRequest({ method, path, status, seconds, eventStream, context }: Answered): void {
  const route = routePattern(path);
  const labels = { method: KNOWN_METHODS.has(method) ? method : "OTHER", route, status: String(status) };
  const { httpRequests, httpRequestSeconds } = metrics();
  httpRequests.inc(labels);
  if (!eventStream) httpRequestSeconds.observe(labels, seconds);
  const level = QUIET_ROUTES.has(route) ? "debug" : "info";
  const log = logger();
  if (!log.isLevelEnabled(level)) return;
  const line = {
    requestId: context.requestId,
    method,
    route,
    path: path.slice(0, LOGGED_PATH_MAX),
    status,
    durationMs: Math.round(seconds * 10_000) / 10,
    orgId: context.orgId,
    actorId: context.actorId,
  };
  log[level](line, "request");
}

const isEventStream = (contentType: unknown) => typeof contentType === "string" && contentType.startsWith("text/event-stream");

function withRequestId(response: Response, requestId: string): Response {
  response.headers.set("X-Request-Id", requestId);
  return response;
}

/**
 * Serves a route handler's request under its request id, and answers with it in X-Request-Id. Under the server
 * entry, in the entry's context (the entry observes the request); otherwise in a context of its own, and observed
 * here once answered (an event stream once it starts).
 */
export async function observeRequest(request: Request, serve: () => Promise<Response>): Promise<Response> {
  const outer = currentRequestContext();
  if (outer) return withRequestId(await serve(), outer.requestId);
  const context = newRequestContext(requestIdFrom(request.headers.get(REQUEST_ID_HEADER)));
  const started = performance.now();
  const response = withRequestId(await runInRequestContext(context, serve), context.requestId);
  const path = new URL(request.url).pathname;
  recordRequest({ method: request.method, path, status: response.status, seconds: (performance.now() - started) / 1000, eventStream: isEventStream(response.headers.get("content-type")), context });
  return response;
}

/**
 * The server entry's part, for every request it receives: settles the request id (the client's when well formed,
 * else a new one), hands it to the app in the request's X-Request-Id and sends it back in the response's, serves
 * the request in its context, and observes it once the response has ended (an event stream once it closes).
 */
export function observeNodeRequest(request: IncomingMessage, response: ServerResponse, serve: () => void): void {
  const sent = request.headers[REQUEST_ID_HEADER];
  const context = newRequestContext(requestIdFrom(typeof sent === "string" ? sent : undefined));
  request.headers[REQUEST_ID_HEADER] = context.requestId;
  response.setHeader("X-Request-Id", context.requestId);
  const started = performance.now();
  response.once("close", () => {
    recordRequest({
      method: request.method ?? "GET",
      path: (request.url ?? "/").split("?")[0]!,
      status: response.headersSent ? response.statusCode : CLIENT_CLOSED,
      seconds: (performance.now() - started) / 1000,
      eventStream: isEventStream(response.getHeader("content-type")),
      context,
    });
  });
  runInRequestContext(context, serve);
}
