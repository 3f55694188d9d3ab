import { loadStreamStart } from "@/db/queries/agent-streams";
import type { Agent } from "@/db/schema";
import { ApiError } from "@/lib/errors";
import { AgentStream, enforcedBy, type StreamStart } from "./agent-stream";
import { hub } from "./hub";
import { closeWhenClientLeaves, refuseWhenShuttingDown } from "./sse";
import type { SinkFactory, StreamSink } from "./stream-sink";

/** A Last-Event-ID to resume from: a whole number, or null (no header, or garbage: a `reset` it is). */
function parseLastEventId(header: string | null): number | null {
  return header !== null && /^\d{1,15}$/.test(header.trim()) ? Number(header) : null;
}

/**
 * How the stream starts: a replay of exactly what the agent missed when its Last-Event-ID is still covered
 * by the log, otherwise a snapshot (`policy` on a first connection, `reset` when the id is too old or unknown).
 */
async function loadStart(agent: Agent, lastEventIdHeader: string | null): Promise<StreamStart> {
  const resumeFrom = parseLastEventId(lastEventIdHeader);
  const start = await loadStreamStart({ orgId: agent.orgId, agentId: agent.id, afterId: resumeFrom });
  if (start.revoked) throw ApiError.unauthenticated();
  const { upTo, state } = start;
  const agentState = { overrides: start.overrides, labels: start.labels };
  const replayable =
    resumeFrom !== null && resumeFrom <= upTo && (resumeFrom === upTo || (start.oldestRetained !== null && start.oldestRetained <= resumeFrom + 1));
  // Resuming from the latest event, the agent holds what applies to it now; otherwise the state it holds is not known.
  if (replayable && start.events) return { kind: "replay", events: start.events, upTo, state, agent: agentState, known: resumeFrom === upTo };
  const { rollout, ...enforced } = enforcedBy(state, agentState, { orgId: agent.orgId, agentId: agent.id });
  return {
    kind: "snapshot",
    event: lastEventIdHeader === null ? "policy" : "reset",
    upTo,
    state,
    agent: agentState,
    snapshot: { agentId: agent.id, ...enforced, overrides: start.overrides, rollout, securityPolicies: start.securityPolicies },
  };
}

/** What a stream starts from: its Last-Event-ID, and whether the agent as authenticated is still current. */
export interface StreamRequest {
  lastEventId: string | null;
  signal: AbortSignal;
  /** True while nothing meant for this agent (a revocation, new overrides) has been seen since it was read. */
  isCurrent: () => boolean;
}

/**
 * Starts from memory when the agent resumes from exactly where this instance has delivered its organization's
 * log, and the agent's record is current: it missed nothing, gets everything after live, and costs no query.
 * That is every agent of a reconnect storm after a restart in which nothing was published. Null otherwise.
 */
function startFromMemory(agent: Agent, request: StreamRequest): StreamStart | null {
  const resumeFrom = parseLastEventId(request.lastEventId);
  const position = resumeFrom === null ? null : hub().deliveredPosition(agent.orgId);
  if (!position || position.upTo !== resumeFrom || !request.isCurrent()) return null;
  return { kind: "replay", events: [], upTo: position.upTo, state: position.state, agent: { overrides: agent.overrides, labels: agent.labels }, known: true };
}

/**
 * Opens an agent's event stream on a sink the adapter makes. The stream joins the hub before its start is read,
 * so an event committed in between is either in the start or delivered live, and the stream's id check drops
 * the overlap. `signal` aborts when the client leaves.
 */
export async function openAgentStream(agent: Agent, request: StreamRequest, openSink: SinkFactory): Promise<StreamSink> {
  refuseWhenShuttingDown();
  const events = hub();
  const sink = openSink(() => events.removeAgent(stream));
  const stream: AgentStream = new AgentStream(agent.id, agent.orgId, { overrides: agent.overrides, labels: agent.labels }, sink);
  closeWhenClientLeaves(request.signal, sink);
  try {
    await events.addAgent(stream);
    const start = startFromMemory(agent, request) ?? (await loadStart(agent, request.lastEventId));
    // A client that left while the start loaded has already been removed from the hub; nobody reads this.
    if (!sink.isClosed) stream.begin(start);
  } catch (error) {
    sink.close();
    throw error;
  }
  return sink;
}
