import "server-only";
import { randomBytes } from "node:crypto";
import { listAgentEventsAfter, loadLogPosition } from "@/db/queries/agent-events";
import type { AgentEvent } from "@/db/schema";
import { selects } from "@/lib/agent-policy/selector";
import { NO_POLICY, policyStateOf } from "@/lib/agent-policy/state";
import type { LabelSetCount, PolicyState } from "@/lib/agent-policy/types";
import { env } from "@/lib/env";
import { logError } from "@/lib/log";
import { hotCounters } from "@/lib/observability/metrics";
import { processSingleton } from "@/lib/singleton";
import type { AgentStream, SharedFrames } from "./agent-stream";
import { listenToNotifications, type AgentEventNotice } from "./notifications";
import { createPresenceReporter, type PresenceReporter } from "./presence";
import { KEEPALIVE_FRAME, REPLACED_FRAME } from "./sse";
import type { StreamSink } from "./stream-sink";

type Unsubscribe = () => void;

// Events read from the log per query while catching up.
const DRAIN_BATCH = 1000;

/** Every stream of one organization on this instance, and how far its event log has been delivered. */
class OrgChannel {
  readonly agents = new Set<AgentStream>();
  readonly byAgent = new Map<string, Set<AgentStream>>();
  readonly others = new Set<StreamSink>();
  deliveredUpTo = 0;
  /** The policy state as of `deliveredUpTo`: what a stream resuming from there starts with. */
  state: PolicyState = NO_POLICY;
  isReady = false;
  ready: Promise<void>;
  private draining: Promise<void> | null = null;
  private drainAgain = false;

  constructor(
    readonly orgId: string,
    private readonly dispatch: (channel: OrgChannel, event: AgentEvent) => void,
  ) {
    this.ready = loadLogPosition({ orgId }).then(({ upTo, state }) => {
      this.deliveredUpTo = upTo;
      this.state = state;
      this.isReady = true;
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
          if (event.type === "policy_version") this.state = policyStateOf(event.payload);
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
 * The event hub of one server instance: which streams are open here, and getting each organization's events to
 * them. The event log in the database is the source of truth; a notification (lib/events/notifications.ts) only
 * wakes the instances, which then read the log after the last id they delivered. A dropped LISTEN connection
 * catches up the same way. Counting peers' streams is the presence reporter's job (lib/events/presence.ts).
 */
export class Hub {
  readonly instanceId = randomBytes(6).toString("hex");
  private readonly channels = new Map<string, OrgChannel>();
  private readonly fleetListeners = new Set<(orgId: string) => void>();
  private readonly eventListeners = new Set<(notice: AgentEventNotice) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private readonly presence: PresenceReporter = createPresenceReporter(this.instanceId, {
    count: (orgId) => this.localAgentStreams(orgId),
    labelCounts: (orgId) => this.localLabelCounts(orgId),
    organizations: () => this.channels.keys(),
  });
  private listening: Promise<void> | null = null;
  private keepalive: NodeJS.Timeout | null = null;
  private stopped = false;

  /**
   * Whether the instance is shutting down. After stop, a client can still reach this instance over a kept-alive
   * connection (Node serves requests on open connections after the server closes); a stream opened then would
   * keep the stopping server alive, so stream openers refuse it (and the hub adds no stream).
   */
  get isStopping(): boolean {
    return this.stopped;
  }

  /**
   * Adds an agent stream; live events queue in it until it begins. Resolves once its channel knows where the log
   * stands. An agent holds one stream: its older stream on this instance is ended (an agent only reconnects when
   * it believes the old one dead, and one token must not be able to pile up connections). A stream whose client
   * already left is not added.
   */
  async addAgent(stream: AgentStream): Promise<void> {
    if (this.stopped || stream.sink.isClosed) {
      stream.sink.close();
      return;
    }
    const channel = this.channel(stream.orgId);
    const older = channel.byAgent.get(stream.agentId);
    // Registered before the older ones close, so the channel never looks empty and is never released meanwhile.
    channel.agents.add(stream);
    channel.byAgent.set(stream.agentId, new Set([stream]));
    older?.forEach((previous) => previous.sink.close(REPLACED_FRAME));
    this.changed(stream.orgId);
    await Promise.all([channel.ready, this.startListening()]);
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
    if (this.stopped || sink.isClosed) {
      sink.close();
      return;
    }
    this.channel(orgId).others.add(sink);
    await this.startListening();
  }

  removeSink(orgId: string, sink: StreamSink): void {
    const channel = this.channels.get(orgId);
    if (channel?.others.delete(sink)) this.release(channel);
  }

  /**
   * Where this instance has delivered the organization's log up to, and the policy state as of there, once its
   * channel is ready; null without one. A stream that joined the channel and resumes from exactly there has
   * missed nothing, and gets everything after it live.
   */
  deliveredPosition(orgId: string): { upTo: number; state: PolicyState } | null {
    const channel = this.channels.get(orgId);
    return channel?.isReady ? { upTo: channel.deliveredUpTo, state: channel.state } : null;
  }

  /** Agents of the organization with a stream open on this instance. */
  localAgentStreams(orgId: string): number {
    return this.channels.get(orgId)?.byAgent.size ?? 0;
  }

  /** Streams open on this instance, of every organization: agents' streams and the console's feeds. */
  openStreams(): { agents: number; consoles: number } {
    let agents = 0;
    let consoles = 0;
    for (const channel of this.channels.values()) {
      agents += channel.agents.size;
      consoles += channel.others.size;
    }
    return { agents, consoles };
  }

  /** How many of the organization's agents streaming here hold each label set. */
  localLabelCounts(orgId: string): LabelSetCount[] {
    const counts = new Map<string, LabelSetCount>();
    for (const streams of this.channels.get(orgId)?.byAgent.values() ?? []) {
      const [stream] = streams;
      if (!stream) continue;
      const key = JSON.stringify(Object.entries(stream.labels).sort(([a], [b]) => (a < b ? -1 : 1)));
      const entry = counts.get(key);
      if (entry) entry.agents++;
      else counts.set(key, { labels: stream.labels, agents: 1 });
    }
    return [...counts.values()];
  }

  /** Agents of the organization with a stream open, on every instance; with a selector, only those it matches. */
  async connectedAgents(orgId: string, selector?: string): Promise<number> {
    if (selector === undefined) return this.localAgentStreams(orgId) + (await this.presence.remoteAgents(orgId));
    const matching = (counts: LabelSetCount[]) => counts.reduce((sum, { labels, agents }) => sum + (selects(selector, labels) ? agents : 0), 0);
    return matching(this.localLabelCounts(orgId)) + matching(await this.presence.remoteLabelCounts(orgId));
  }

  /** Runs for each heartbeat flush of an organization, on any instance. */
  onFleetChange(listener: (orgId: string) => void): Unsubscribe {
    this.fleetListeners.add(listener);
    void this.startListening();
    return () => this.fleetListeners.delete(listener);
  }

  /**
   * Runs for each agent event of any organization, committed on any instance, and (with `onReconnect`) after
   * the LISTEN connection was re-established, when notifications may have been missed: for caches.
   */
  onAgentEvent(listener: (notice: AgentEventNotice) => void, onReconnect?: () => void): Unsubscribe {
    this.eventListeners.add(listener);
    if (onReconnect) this.reconnectListeners.add(onReconnect);
    void this.startListening();
    return () => {
      this.eventListeners.delete(listener);
      if (onReconnect) this.reconnectListeners.delete(onReconnect);
    };
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
    // One keep-alive timer per instance, never one per connection.
    this.keepalive ??= setInterval(() => this.sendKeepalives(), env().SSE_KEEPALIVE_SECONDS * 1000).unref();
    return channel;
  }

  private dispatch(channel: OrgChannel, event: AgentEvent): void {
    // An event meant for one agent is announced again as it is delivered, even if its notification has not
    // arrived yet: a cache of that agent must drop it before a stream can start from memory past this event.
    const { orgId, id, type, agentId } = event;
    if (agentId) this.eventListeners.forEach((listener) => listener({ orgId, id, type, agentId }));
    const shared: SharedFrames = new Map();
    const targets = event.agentId ? channel.byAgent.get(event.agentId) : channel.agents;
    hotCounters.eventsFannedOut += targets?.size ?? 0;
    // Iterating a Set while a stream removes itself from it (a revoked or cut-off client) is safe.
    targets?.forEach((stream) => stream.receive(event, shared));
    // The agent's label set changed: the counts peers read for a rollout's `broadcastedTo` must follow.
    if (type === "labels") this.changed(orgId);
  }

  private changed(orgId: string): void {
    // Once stopped, the presence is gone for good: streams closing now must not bring it back.
    if (!this.stopped) this.presence.changed(orgId);
    const channel = this.channels.get(orgId);
    if (channel) this.release(channel);
  }

  private release(channel: OrgChannel): void {
    if (channel.size === 0) this.channels.delete(channel.orgId);
  }

  /**
   * Starts listening for notifications; the server does at boot, so that listening's start, which clears the
   * caches (notifications may have been missed before it), happens before the first request fills them.
   */
  listen(): Promise<void> {
    return this.startListening();
  }

  private startListening(): Promise<void> {
    this.listening ??= listenToNotifications({
      onAgentEvent: (notice) => this.onAgentEventNotice(notice),
      onFleetChange: (orgId) => this.fleetListeners.forEach((listener) => listener(orgId)),
      onReconnect: () => this.catchUp(),
    }).catch((error: unknown) => {
      this.listening = null;
      throw error;
    });
    return this.listening;
  }

  private onAgentEventNotice(notice: AgentEventNotice): void {
    this.eventListeners.forEach((listener) => listener(notice));
    const channel = this.channels.get(notice.orgId);
    if (channel && notice.id > channel.deliveredUpTo) channel.drain().catch((error) => logError("hub drain", error));
  }

  /** After (re)connecting the LISTEN connection: deliver whatever was committed while it was down. */
  private catchUp(): void {
    this.reconnectListeners.forEach((listener) => listener());
    for (const channel of this.channels.values()) channel.drain().catch((error) => logError("hub catch-up", error));
  }

  private sendKeepalives(): void {
    for (const channel of this.channels.values()) {
      for (const stream of channel.agents) stream.sink.write(KEEPALIVE_FRAME);
      for (const sink of channel.others) sink.write(KEEPALIVE_FRAME);
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
    this.keepalive = null;
    await this.presence.stop();
    for (const channel of [...this.channels.values()]) {
      channel.agents.forEach((stream) => stream.sink.close());
      channel.others.forEach((sink) => sink.close());
    }
  }
}

/** The process's hub, shared by every bundle Next.js loads. */
export function hub(): Hub {
  return processSingleton("event hub", () => new Hub());
}
