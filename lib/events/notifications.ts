import "server-only";
import { pgNotify } from "@/db/queries/notifications";
import { listen, type Executor } from "@/db";
import { AGENT_EVENT_TYPES, type AgentEventType } from "./event-types";

/**
 * The two LISTEN/NOTIFY channels every instance shares, and what travels on them. A notification only wakes an
 * instance: it never carries the event itself (the event log is the source of truth), so payloads stay a few dozen
 * bytes, far below NOTIFY's 8000-byte limit.
 */
const AGENT_EVENTS_CHANNEL = "palisade_agent_events";
const FLEET_CHANNEL = "palisade_fleet";

/** An agent event was committed: enough to wake the organization's streams and to drop stale caches. */
export interface AgentEventNotice {
  orgId: string;
  id: number;
  /** Set, with `agentId`, for an event meant for one agent. */
  type?: AgentEventType;
  agentId?: string;
}

/** "<orgId>:<id>", plus ":<type>:<agentId>" for an event meant for one agent. */
export function encodeAgentEventNotice(notice: AgentEventNotice): string {
  const target = notice.agentId && notice.type ? `:${notice.type}:${notice.agentId}` : "";
  return `${notice.orgId}:${notice.id}${target}`;
}

/** The notice a payload carries, or null for one this version cannot read. */
export function decodeAgentEventNotice(payload: string): AgentEventNotice | null {
  const [orgId, id, type, agentId] = payload.split(":");
  if (!orgId || !id || !/^\d+$/.test(id)) return null;
  if (type === undefined) return { orgId, id: Number(id) };
  if (!(AGENT_EVENT_TYPES as readonly string[]).includes(type) || !agentId) return null;
  return { orgId, id: Number(id), type: type as AgentEventType, agentId };
}

/** Tells every instance, when the caller's transaction commits, that an agent event was appended. */
export function notifyAgentEvent(notice: AgentEventNotice, tx: Executor): Promise<void> {
  return pgNotify({ channel: AGENT_EVENTS_CHANNEL, payload: encodeAgentEventNotice(notice) }, tx);
}

/** Tells every instance that an organization's fleet figures changed (after a heartbeat flush). */
export function notifyFleetChange(orgId: string): Promise<void> {
  return pgNotify({ channel: FLEET_CHANNEL, payload: orgId });
}

/**
 * Listens to both channels. `onReconnect` runs once listening starts and after every reconnection of the
 * listening connection, when notifications may have been missed.
 */
export async function listenToNotifications(handlers: {
  onAgentEvent: (notice: AgentEventNotice) => void;
  onFleetChange: (orgId: string) => void;
  onReconnect: () => void;
}): Promise<void> {
  await Promise.all([
    listen(
      AGENT_EVENTS_CHANNEL,
      (payload) => {
        const notice = decodeAgentEventNotice(payload);
        if (notice) handlers.onAgentEvent(notice);
      },
      handlers.onReconnect,
    ),
    listen(FLEET_CHANNEL, handlers.onFleetChange, () => {}),
  ]);
}
