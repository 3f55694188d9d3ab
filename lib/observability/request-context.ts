import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { processSingleton } from "@/lib/singleton";

export const REQUEST_ID_HEADER = "x-request-id";

/**
 * A request id a client or proxy may choose: 1–128 letters, digits and `_ - . : / + =` (UUIDs, trace ids, base64).
 * Anything else (too long, spaces, quotes, control characters) is replaced, so an id is always safe to log and echo.
 */
const WELL_FORMED_REQUEST_ID = /^[\w.:/+=-]{1,128}$/;

/** What every log line written while serving a request says about it, filled in as the request is authenticated. */
export interface RequestContext {
  readonly requestId: string;
  orgId: string | null;
  /** The user or agent the request authenticated as. */
  actorId: string | null;
}

// One store for the process: the server entry and each of Next's bundles load this module separately.
const contexts = processSingleton("request context", () => new AsyncLocalStorage<RequestContext>());

/** The request's id: the one it was sent with when well formed, else a new UUID. */
export function requestIdFrom(sent: string | null | undefined): string {
  return sent && WELL_FORMED_REQUEST_ID.test(sent) ? sent : randomUUID();
}

export function newRequestContext(requestId: string): RequestContext {
  return { requestId, orgId: null, actorId: null };
}

/** Runs `serve` with `context` as the current request's, for everything it calls, awaits and schedules. */
export function runInRequestContext<T>(context: RequestContext, serve: () => T): T {
  return contexts.run(context, serve);
}

export function currentRequestContext(): RequestContext | undefined {
  return contexts.getStore();
}

export function currentRequestId(): string | undefined {
  return contexts.getStore()?.requestId;
}

/** Records who the current request authenticated as, for its log line. Outside a request, nothing to record. */
export function noteActor(orgId: string, actorId: string): void {
  const context = contexts.getStore();
  if (!context) return;
  context.orgId = orgId;
  context.actorId = actorId;
}
