import { randomBytes } from "node:crypto";
import { databaseTarget, listen } from "@/db";
import { AGENT_EVENTS_CHANNEL, lastAgentEventId, listAgentEventsAfter } from "@/db/queries/agent-events";
import { clearPresence, remoteStreamCount, savePresence } from "@/db/queries/stream-presence";
import type { AgentEvent } from "@/db/schema";
import { env } from "@/lib/env";
import { ApiError } from "@/lib/errors";
import { logError } from "@/lib/log";
import type { AgentStream, SharedFrames } from "./agent-stream";
import { KEEPALIVE_FRAME, REPLACED_FRAME } from "./sse";
import type { StreamSink } from "./stream-sink";

/** After each heartbeat flush the flushing instance notifies this channel with the organization id. */
export const FLEET_CHANNEL = "palisade_fleet";

type FleetListener = (orgId: string) => void;

/** What a notification says about an event: enough to wake the right streams and drop stale caches. */
export interface EventNotice {
  orgId: string;
  id: number;
  /** Set for events meant for one agent. */
  type?: string;
  agentId?: string;
}
type EventListener = (notice: EventNotice) => void;

// Events read from the log per query while catching up.
const DRAIN_BATCH = 1000;

/** Every stream of one organization on this instance, and how far its event log has been delivered. */
class OrgChannel {
  readonly agents = new Set<AgentStream>();
  readonly byAgent = new Map<string, Set<AgentStream>>();
  readonly others = new Set<StreamSink>();
  deliveredUpTo = 0;
  ready: Promise<void>;
  private draining: Promise<void> | null = null;
  private drainAgain = false;

  constructor(
    readonly orgId: string,
    private readonly dispatch: (channel: OrgChannel, event: AgentEvent) => void,
  ) {
    this.ready = lastAgentEventId({ orgId }).then((id) => {
      this.deliveredUpTo = id;
    });
  }

  get size(): number {
    return this.agents.size + this.others.size;
  }

  /** Fetches and dispatches every event after `deliveredUpTo`. Concurrent calls coalesce into one more pass. */
  drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = (async () => {
      await this.ready;
      do {
        this.drainAgain = false;
        const events = await listAgentEventsAfter({ orgId: this.orgId, afterId: this.deliveredUpTo, limit: DRAIN_BATCH });
        for (const event of events) {
          this.dispatch(this, event);
          this.deliveredUpTo = event.id;
        }
        // A full batch means more may follow.
        if (events.length === DRAIN_BATCH) this.drainAgain = true;
      } while (this.drainAgain);
    })().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }
}

/**
 * The event hub of one server instance. The event log in the database is the source of truth; LISTEN/NOTIFY
 * only carries "<orgId>:<eventId>" to wake the instances that hold streams of that organization, which then
 * read the log after the last id they delivered. A dropped LISTEN connection catches up the same way.
 */
export class Hub {
  readonly instanceId = randomBytes(6).toString("hex");
  private readonly channels = new Map<string, OrgChannel>();
  private readonly fleetListeners = new Set<FleetListener>();
  private readonly eventListeners = new Set<EventListener>();
  private readonly reconnectListeners = new Set<() => void>();
  private listening: Promise<void> | null = null;
  private keepalive: NodeJS.Timeout | null = null;
  private presence: NodeJS.Timeout | null = null;
  private readonly dirtyPresence = new Set<string>();
  private stopped = false;

  /**
   * Adds an agent stream; live events queue in it until it begins. Resolves once its channel knows where the log
   * stands. An agent holds one stream: its older stream on this instance is ended (an agent only reconnects when
   * it believes the old one dead, and one token must not be able to pile up connections). A stream whose client
   * already left is not added.
   */
  async addAgent(stream: AgentStream): Promise<void> {
    this.refuseWhenStopped();
    if (stream.sink.isClosed) return;
    const channel = this.channel(stream.orgId);
    const older = channel.byAgent.get(stream.agentId);
    // Registered before the older ones close, so the channel never looks empty and is never released meanwhile.
    channel.agents.add(stream);
    channel.byAgent.set(stream.agentId, new Set([stream]));
    older?.forEach((previous) => previous.sink.close(REPLACED_FRAME));
    this.changed(stream.orgId);
    await Promise.all([channel.ready, this.startListening()]);
  }

  /**
   * After stop, a client can still reach this instance over a kept-alive connection (Node serves requests on
   * open connections after the server closes); a stream opened then would keep the stopping server alive.
   */
  private refuseWhenStopped(): void {
    if (this.stopped) throw ApiError.unavailable("This server is shutting down. Reconnect.", 1);
  }

  removeAgent(stream: AgentStream): void {
    const channel = this.channels.get(stream.orgId);
    if (!channel || !channel.agents.delete(stream)) return;
    const streams = channel.byAgent.get(stream.agentId);
    streams?.delete(stream);
    if (streams?.size === 0) channel.byAgent.delete(stream.agentId);
    this.changed(stream.orgId);
  }

  /** Adds a stream that only needs keep-alives here (the console's event stream), unless its client already left. */
  async addSink(orgId: string, sink: StreamSink): Promise<void> {
    this.refuseWhenStopped();
    if (sink.isClosed) return;
    this.channel(orgId).others.add(sink);
    await this.startListening();
  }

  removeSink(orgId: string, sink: StreamSink): void {
    const channel = this.channels.get(orgId);
    if (channel?.others.delete(sink)) this.release(channel);
  }

  /** Agents of the organization with a stream open on this instance. */
  localAgentStreams(orgId: string): number {
    return this.channels.get(orgId)?.byAgent.size ?? 0;
  }

  /** Agents of the organization with a stream open, on every instance. */
  async connectedAgents(orgId: string): Promise<number> {
    const local = this.localAgentStreams(orgId);
    if (databaseTarget().engine !== "postgres") return local;
    return local + (await remoteStreamCount({ instanceId: this.instanceId, orgId }));
  }

  /** Runs for each heartbeat flush of an organization, on any instance. */
  onFleetChange(listener: FleetListener): () => void {
    this.fleetListeners.add(listener);
    void this.startListening();
    return () => this.fleetListeners.delete(listener);
  }

  /**
   * Runs for each agent event of any organization, committed on any instance, and (with `onReconnect`) after
   * the LISTEN connection was re-established, when notifications may have been missed: for caches.
   */
  onAgentEvent(listener: EventListener, onReconnect?: () => void): void {
    this.eventListeners.add(listener);
    if (onReconnect) this.reconnectListeners.add(onReconnect);
    void this.startListening();
  }

  private channel(orgId: string): OrgChannel {
    let channel = this.channels.get(orgId);
    if (!channel) {
      channel = new OrgChannel(orgId, (target, event) => this.dispatch(target, event));
      this.channels.set(orgId, channel);
      channel.ready.catch((error) => {
        logError("hub channel", error);
        this.channels.delete(orgId);
      });
    }
    this.startTimers();
    return channel;
  }

  private dispatch(channel: OrgChannel, event: AgentEvent): void {
    const shared: SharedFrames = new Map();
    const targets = event.agentId ? channel.byAgent.get(event.agentId) : channel.agents;
    // Iterating a Set while a stream removes itself from it (a revoked or cut-off client) is safe.
    targets?.forEach((stream) => stream.receive(event, shared));
  }

  private changed(orgId: string): void {
    this.dirtyPresence.add(orgId);
    const channel = this.channels.get(orgId);
    if (channel) this.release(channel);
  }

  private release(channel: OrgChannel): void {
    if (channel.size === 0) this.channels.delete(channel.orgId);
  }

  private startListening(): Promise<void> {
    this.listening ??= Promise.all([
      listen(AGENT_EVENTS_CHANNEL, (payload) => this.onEventNotification(payload), () => this.catchUp()),
      listen(FLEET_CHANNEL, (orgId) => this.fleetListeners.forEach((listener) => listener(orgId)), () => {}),
    ]).then(
      () => undefined,
      (error: unknown) => {
        this.listening = null;
        throw error;
      },
    );
    return this.listening;
  }

  private onEventNotification(payload: string): void {
    const [orgId = "", id, type, agentId] = payload.split(":");
    const notice: EventNotice = { orgId, id: Number(id), type, agentId };
    this.eventListeners.forEach((listener) => listener(notice));
    const channel = this.channels.get(orgId);
    if (channel && notice.id > channel.deliveredUpTo) channel.drain().catch((error) => logError("hub drain", error));
  }

  /** After (re)connecting the LISTEN connection: deliver whatever was committed while it was down. */
  private catchUp(): void {
    this.reconnectListeners.forEach((listener) => listener());
    for (const channel of this.channels.values()) channel.drain().catch((error) => logError("hub catch-up", error));
  }

  /** One keep-alive timer and one presence timer per instance, never one per connection. */
  private startTimers(): void {
    this.keepalive ??= setInterval(() => this.sendKeepalives(), env().SSE_KEEPALIVE_SECONDS * 1000).unref();
    if (databaseTarget().engine === "postgres") {
      this.presence ??= setInterval(() => void this.savePresence(), 1000).unref();
    }
  }

  private sendKeepalives(): void {
    for (const channel of this.channels.values()) {
      for (const stream of channel.agents) stream.sink.write(KEEPALIVE_FRAME);
      for (const sink of channel.others) sink.write(KEEPALIVE_FRAME);
    }
  }

  private presenceRefreshedAt = 0;

  /** Saves changed counts every second and all counts every 10 s, so peers can tell live instances from dead ones. */
  private async savePresence(): Promise<void> {
    const refresh = Date.now() - this.presenceRefreshedAt > 10_000;
    const orgs = refresh ? new Set([...this.channels.keys(), ...this.dirtyPresence]) : new Set(this.dirtyPresence);
    this.dirtyPresence.clear();
    if (orgs.size === 0) return;
    const counts = new Map([...orgs].map((orgId) => [orgId, this.localAgentStreams(orgId)]));
    try {
      await savePresence({ instanceId: this.instanceId, counts });
      if (refresh) this.presenceRefreshedAt = Date.now();
    } catch (error) {
      orgs.forEach((orgId) => this.dirtyPresence.add(orgId));
      logError("saving stream presence", error);
    }
  }

  /**
   * On shutdown. Removes this instance's presence first (peers would otherwise count its streams until it goes
   * stale), then closes every stream: the HTTP server waits for open responses before it exits, and an SSE
   * stream never ends by itself. Agents reconnect to another instance after their retry delay and resume
   * from their last event id.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.keepalive) clearInterval(this.keepalive);
    if (this.presence) clearInterval(this.presence);
    this.keepalive = this.presence = null;
    if (databaseTarget().engine === "postgres") {
      await clearPresence({ instanceId: this.instanceId }).catch((error) => logError("clearing stream presence", error));
    }
    for (const channel of [...this.channels.values()]) {
      channel.agents.forEach((stream) => stream.sink.close());
      channel.others.forEach((sink) => sink.close());
    }
  }
}

// One hub per process, shared by every bundle Next.js loads.
const globalForHub = globalThis as unknown as { palisadeHub?: Hub };

export function hub(): Hub {
  globalForHub.palisadeHub ??= new Hub();
  return globalForHub.palisadeHub;
}
