import "server-only";
import { insertAgentEvent, nextAgentEventId } from "@/db/queries/agent-events";
import type { Executor } from "@/db";
import type { AgentEventType } from "./event-types";
import { notifyAgentEvent } from "./notifications";

export interface NewAgentEvent {
  orgId: string;
  /** Only this agent receives it; omitted: every agent of the organization. */
  agentId?: string;
  type: AgentEventType;
  payload: unknown;
}

/**
 * Appends an event to the organization's log inside the caller's transaction, and queues its notification,
 * which every instance receives only if and when that transaction commits. Returns the event's id.
 */
export async function appendAgentEvent(event: NewAgentEvent, tx: Executor): Promise<number> {
  const id = await nextAgentEventId({ orgId: event.orgId }, tx);
  await insertAgentEvent({ orgId: event.orgId, id, agentId: event.agentId ?? null, type: event.type, payload: event.payload }, tx);
  await notifyAgentEvent({ orgId: event.orgId, id, type: event.agentId ? event.type : undefined, agentId: event.agentId }, tx);
  return id;
}
