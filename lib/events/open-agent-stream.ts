import { loadStreamStart } from "@/db/queries/agent-streams";
import type { Agent } from "@/db/schema";
import { effectiveRules, formatVersion } from "@/lib/agent-policy/rules";
import { ApiError } from "@/lib/errors";
import { AgentStream, type StreamStart } from "./agent-stream";
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
  const { upTo, active, overrides } = start;
  const replayable =
    resumeFrom !== null && resumeFrom <= upTo && (resumeFrom === upTo || (start.oldestRetained !== null && start.oldestRetained <= resumeFrom + 1));
  if (replayable && start.events) return { kind: "replay", events: start.events, upTo, active, overrides };
  return {
    kind: "snapshot",
    event: lastEventIdHeader === null ? "policy" : "reset",
    upTo,
    active,
    snapshot: {
      agentId: agent.id,
      policyVersion: active ? formatVersion(active.version) : null,
      policyId: active?.policyId ?? null,
      name: active?.name ?? null,
      rules: active ? effectiveRules(active.rules, overrides) : [],
      overrides,
      securityPolicies: start.securityPolicies,
    },
  };
}

/**
 * Opens an agent's event stream on a sink the adapter makes. The stream joins the hub before its start is read,
 * so an event committed in between is either in the start or delivered live, and the stream's id check drops
 * the overlap. `signal` aborts when the client leaves.
 */
export async function openAgentStream(agent: Agent, { lastEventId, signal }: { lastEventId: string | null; signal: AbortSignal }, openSink: SinkFactory): Promise<StreamSink> {
  refuseWhenShuttingDown();
  const events = hub();
  const sink = openSink(() => events.removeAgent(stream));
  const stream: AgentStream = new AgentStream(agent.id, agent.orgId, agent.overrides, sink);
  closeWhenClientLeaves(signal, sink);
  try {
    await events.addAgent(stream);
    const start = await loadStart(agent, lastEventId);
    // A client that left while the start loaded has already been removed from the hub; nobody reads this.
    if (!sink.isClosed) stream.begin(start);
  } catch (error) {
    sink.close();
    throw error;
  }
  return sink;
}
