import type { PolicyVersionEventPayload } from "@/lib/agent-policy/types";
import type { AgentEvent } from "@/db/schema";
import type { AgentRule, AgentRuleOverride } from "@/lib/agent-policy/types";
import { effectiveRules, formatVersion } from "@/lib/agent-policy/rules";
import { encodeEvent, retryFrame } from "./sse";
import type { StreamSink } from "./stream-sink";

/** The active agent policy as a stream knows it: shared by reference between all streams of an organization. */
export type ActivePolicy = PolicyVersionEventPayload | null;

/** Everything an agent enforces, as its first event (`policy`) or after a resume that is too old (`reset`). */
export interface AgentSnapshot {
  agentId: string;
  policyVersion: string | null;
  policyId: string | null;
  name: string | null;
  rules: AgentRule[];
  overrides: AgentRuleOverride[];
  securityPolicies: unknown[];
}

/** How a new stream starts: a snapshot (first connection, or an unusable Last-Event-ID), or a replay of what it missed. */
export type StreamStart =
  | { kind: "snapshot"; event: "policy" | "reset"; snapshot: AgentSnapshot; upTo: number; active: ActivePolicy }
  | { kind: "replay"; events: AgentEvent[]; upTo: number; active: ActivePolicy; overrides: AgentRuleOverride[] };

/** Frames that are identical for every agent without overrides, rendered once per event. */
export type SharedFrames = Map<number, Uint8Array>;

/**
 * One agent's open stream. It buffers live events until its start (snapshot or replay) is written, then
 * passes each event with a higher id than the last one written: nothing lost, nothing twice.
 */
export class AgentStream {
  private lastSentId = 0;
  private pending: AgentEvent[] | null = [];
  private active: ActivePolicy = null;

  constructor(
    readonly agentId: string,
    readonly orgId: string,
    private overrides: AgentRuleOverride[],
    readonly sink: StreamSink,
  ) {}

  /** Writes the start, then whatever arrived meanwhile, and goes live. */
  begin(start: StreamStart): void {
    this.active = start.active;
    this.sink.write(retryFrame());
    if (start.kind === "snapshot") {
      this.overrides = start.snapshot.overrides;
      this.sink.write(encodeEvent(start.event, start.snapshot, start.upTo));
      this.lastSentId = start.upTo;
    } else {
      this.overrides = start.overrides;
      for (const event of start.events) this.deliver(event);
      this.lastSentId = Math.max(this.lastSentId, start.upTo);
    }
    const pending = this.pending ?? [];
    this.pending = null;
    for (const event of pending) this.deliver(event);
  }

  /** Receives a live event of its organization (the hub has already filtered events meant for other agents). */
  receive(event: AgentEvent, shared: SharedFrames): void {
    if (this.pending) this.pending.push(event);
    else this.deliver(event, shared);
  }

  private deliver(event: AgentEvent, shared?: SharedFrames): void {
    if (event.id <= this.lastSentId || this.sink.isClosed) return;
    this.lastSentId = event.id;
    const frame = this.render(event, shared);
    this.sink.write(frame);
    if (event.type === "revoked") this.sink.close();
  }

  private render(event: AgentEvent, shared?: SharedFrames): Uint8Array {
    switch (event.type) {
      case "policy_version": {
        this.active = event.payload as PolicyVersionEventPayload;
        const personal = this.overrides.length > 0;
        const cached = personal ? undefined : shared?.get(event.id);
        if (cached) return cached;
        const frame = encodeEvent("policy_version", this.policyData(), event.id);
        if (!personal) shared?.set(event.id, frame);
        return frame;
      }
      case "overrides":
        this.overrides = (event.payload as { overrides: AgentRuleOverride[] }).overrides;
        return encodeEvent("overrides", { ...this.policyData(), overrides: this.overrides }, event.id);
      case "security_policy":
      case "revoked": {
        const cached = shared?.get(event.id);
        if (cached) return cached;
        const frame = encodeEvent(event.type, event.payload, event.id);
        shared?.set(event.id, frame);
        return frame;
      }
    }
  }

  private policyData() {
    const active = this.active;
    return {
      policyVersion: active ? formatVersion(active.version) : null,
      policyId: active?.policyId ?? null,
      name: active?.name ?? null,
      rules: active ? effectiveRules(active.rules, this.overrides) : [],
    };
  }
}
