import "server-only";
import { databaseReady, isDatabaseUnreachable } from "@/db";
import { MAX_BODY_BYTES, parseJsonText } from "@/lib/api/request";
import { formatVersion, parseVersion } from "@/lib/agent-policy/rules";
import { versionTargets } from "@/lib/agent-policy/version-targets";
import { targetVersion } from "@/lib/agent-policy/state";
import { authenticateAgent, authenticateUser } from "@/lib/auth/principal";
import { ApiError } from "@/lib/errors";
import { env } from "@/lib/env";
import { convergenceFeed } from "@/lib/events/convergence-feed";
import { openAgentStream } from "@/lib/events/open-agent-stream";
import type { SinkFactory, StreamSink } from "@/lib/events/stream-sink";
import { logError } from "@/lib/log";
import { metrics } from "@/lib/observability/metrics";
import { currentRequestId, noteActor } from "@/lib/observability/request-context";
import { heartbeats } from "./heartbeats";
import { heartbeatBody } from "./schemas";
import { isOutdated } from "./status";

/**
 * The agent data plane (an agent's event stream, its heartbeats) and the console's live feed, as one
 * implementation. Two adapters serve it, and only read the request and write bytes:
 * - the route handlers (lib/api/web-plane.ts), for `next dev`, Vercel and a plain `next start`;
 * - the server entry's lean path (lib/server/node-plane.ts), on node:http without Next's per-request pipeline,
 *   which a fleet needs (docs/performance.md).
 * Authentication, validation, the stream start, framing, the hub, heartbeat recording and the error shapes are
 * all here.
 */

/** What an endpoint reads of a request, whichever adapter received it. */
export interface PlaneRequest {
  method: string;
  url: string;
  headers: Headers;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
  /** The client's address, as the adapter determined it. */
  clientAddress: string | null;
  /** The body as text; more than `limit` bytes answers 413 without buffering the excess. */
  readBody(limit: number): Promise<string>;
}

export type PlaneResponse = { kind: "json"; status: number; headers: Record<string, string>; body: unknown } | { kind: "stream"; sink: StreamSink };

export type PlaneEndpoint = (request: PlaneRequest, openSink: SinkFactory) => Promise<PlaneResponse>;

const json = (body: unknown, status = 200): PlaneResponse => ({ kind: "json", status, headers: { "Cache-Control": "no-store" }, body });

/** Every failure becomes the Agent Policy API's documented envelope; nothing else leaks. */
function endpoint(run: PlaneEndpoint): PlaneEndpoint {
  return async (request, openSink) => {
    try {
      await databaseReady();
      return await run(request, openSink);
    } catch (error) {
      if (!(error instanceof ApiError)) logError(`${request.method} ${new URL(request.url).pathname}`, error);
      // While the database is down, a fleet retries: spread over 5–15 s, so it does not come back all at once.
      const failure = error instanceof ApiError ? error : isDatabaseUnreachable(error) ? ApiError.databaseUnreachable(jitteredRetryAfter()) : ApiError.internal();
      const { status, headers, body } = failure.toJson("envelope", currentRequestId());
      return { kind: "json", status, headers: { ...headers, "Cache-Control": "no-store" }, body };
    }
  };
}

/** Stream starts in progress on this instance: bounded, so a reconnect storm never queues without limit. */
let startsInProgress = 0;

/** Seconds to wait before retrying a refused start: spread over 5–15 s, so refused agents do not come back together. */
function jitteredRetryAfter(): number {
  return 5 + Math.floor(Math.random() * 11);
}

/** `GET /api/agents/stream`: the agent's effective policy first, then every change that affects it, live. */
export const agentStreamEndpoint: PlaneEndpoint = endpoint(async (request, openSink) => {
  if (startsInProgress >= env().STREAM_STARTS_MAX) {
    metrics().streamStartsRefused.inc({ reason: "too_many_starts" });
    throw ApiError.unavailable("Too many agents are connecting at once. Reconnect after the delay in Retry-After.", jitteredRetryAfter());
  }
  startsInProgress++;
  try {
    const { agent, isCurrent } = await authenticateAgent(request);
    noteActor(agent.orgId, agent.id);
    const sink = await openAgentStream(agent, { lastEventId: request.headers.get("last-event-id"), signal: request.signal, isCurrent }, openSink);
    return { kind: "stream", sink };
  } finally {
    startsInProgress--;
  }
});

/**
 * `POST /api/agents/heartbeat`: records that the agent is alive and which version it runs; answers which version
 * applies to it (`latestVersion`: the active one, or a rollout's when its labels match) and whether it runs another.
 * A version the organization has not published is refused: it would otherwise count as up to date, or as converged
 * before it existed.
 */
export const heartbeatEndpoint: PlaneEndpoint = endpoint(async (request) => {
  const { agent } = await authenticateAgent(request);
  noteActor(agent.orgId, agent.id);
  const body = parseJsonText(await request.readBody(MAX_BODY_BYTES), heartbeatBody);
  const reported = body.policyVersion === null ? null : parseVersion(body.policyVersion);
  let targets = await versionTargets(agent.orgId);
  // The cache may lag a publish committed on another instance by a moment: check the database before refusing.
  if (reported !== null && reported > targets.highest) targets = await versionTargets(agent.orgId, { fresh: true });
  if (reported !== null && reported > targets.highest) {
    const published = targets.highest === 0 ? "no version has been published yet" : `the latest is ${formatVersion(targets.highest)}`;
    throw ApiError.validation([{ code: "custom", path: ["policyVersion"], message: `${formatVersion(reported)} has not been published (${published})`, input: undefined }], "body");
  }
  const now = new Date();
  heartbeats().record({
    agentId: agent.id,
    orgId: agent.orgId,
    at: now,
    version: reported,
    agentVersion: body.agentVersion ?? null,
    hostname: body.hostname ?? null,
    ip: request.clientAddress,
    status: body.status ?? null,
    refusal: body.refusal ? { version: body.refusal.version, reason: body.refusal.reason, at: body.refusal.at ?? now.toISOString() } : null,
  });
  const target = targetVersion(targets, agent.labels);
  return json({
    ok: true,
    data: { agentId: agent.id, latestVersion: target === null ? null : formatVersion(target), outdated: isOutdated(reported, target), serverTime: now.toISOString() },
  });
});

/** `GET /api/events`: the console's live stream of the organization's fleet figures; a few per user or token. */
export const consoleEventsEndpoint: PlaneEndpoint = endpoint(async (request, openSink) => {
  // A live view's stream stays open on its own: it is not use of the session, and cannot keep an idle one alive.
  const { user, credential } = await authenticateUser(new Request(request.url, { method: request.method, headers: request.headers }), { passive: true });
  noteActor(user.orgId, user.id);
  const sink = await convergenceFeed().open({ orgId: user.orgId, viewer: credential, signal: request.signal }, openSink);
  return { kind: "stream", sink };
});
