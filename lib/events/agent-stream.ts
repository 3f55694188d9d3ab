import type { AgentEvent } from "@/db/schema";
import type { AgentRule, AgentRuleOverride, PolicyState, PolicyVersionEventPayload } from "@/lib/agent-policy/types";
import { effectiveRules, formatVersion } from "@/lib/agent-policy/rules";
import { selects } from "@/lib/agent-policy/selector";
import { agentPolicyScope, highestVersionOf, signPolicy, type PolicySignatureFields } from "@/lib/agent-policy/signatures";
import { policyStateOf, versionFor } from "@/lib/agent-policy/state";
import { encodeEvent, retryFrame } from "./sse";
import type { StreamSink } from "./stream-sink";

/** A rollout in progress as an agent's frames show it, and whether it applies to that agent. */
export interface RolloutView {
  version: string;
  selector: string;
  targeted: boolean;
}

/** Everything an agent enforces, as its first event (`policy`) or after a resume that is too old (`reset`). */
export interface AgentSnapshot extends PolicySignatureFields {
  agentId: string;
  policyVersion: string | null;
  policyId: string | null;
  name: string | null;
  rules: AgentRule[];
  overrides: AgentRuleOverride[];
  rollout: RolloutView | null;
  securityPolicies: unknown[];
}

/** What a stream needs to know about its agent, read with its start so the two agree. */
export interface AgentState {
  overrides: AgentRuleOverride[];
  labels: Record<string, string>;
}

/**
 * How a new stream starts: a snapshot (first connection, or an unusable Last-Event-ID), or a replay of what it
 * missed. `state` is the policy state as of `upTo`; `known` says the agent already holds what applies to it there
 * (it resumed from exactly `upTo`), so the next policy frame can tell whether its version changed.
 */
export type StreamStart =
  | { kind: "snapshot"; event: "policy" | "reset"; snapshot: AgentSnapshot; upTo: number; state: PolicyState; agent: AgentState }
  | { kind: "replay"; events: AgentEvent[]; upTo: number; state: PolicyState; agent: AgentState; known: boolean };

/** Frames that are identical for every agent in the same situation, rendered once per event and situation. */
export type SharedFrames = Map<string, Uint8Array>;

/** The rollout as one agent sees it. */
export function rolloutView(state: PolicyState, labels: Record<string, string>): RolloutView | null {
  const rollout = state.rollout;
  return rollout && { version: formatVersion(rollout.version.version), selector: rollout.selector, targeted: selects(rollout.selector, labels) };
}

/** Whose stream it is: the organization and the agent, which an agent's own signed rule set names. */
export interface StreamOwner {
  orgId: string;
  agentId: string;
}

/**
 * What an agent enforces under a policy state: the version that applies to it, with its overrides, signed. An agent
 * without overrides gets the document every such agent gets (signed once, cached); one with overrides, its own.
 */
export function enforcedBy(state: PolicyState, agent: AgentState, owner: StreamOwner) {
  const applied = versionFor(state, agent.labels);
  const policy = {
    policyVersion: applied ? formatVersion(applied.version) : null,
    policyId: applied?.policyId ?? null,
    name: applied?.name ?? null,
    rules: applied ? effectiveRules(applied.rules, agent.overrides) : [],
  };
  const selector = applied && state.rollout?.version === applied ? state.rollout.selector : null;
  const scope = agentPolicyScope({ orgId: owner.orgId, agentId: owner.agentId, overrides: agent.overrides }, selector, highestVersionOf(state));
  return { ...policy, rollout: rolloutView(state, agent.labels), ...signPolicy(policy, scope) };
}

/**
 * One agent's open stream. It buffers live events until its start (snapshot or replay) is written, then
 * passes each event with a higher id than the last one written: nothing lost, nothing twice.
 *
 * Each policy change reaches every agent as one frame: `policy_version` when the version that applies to this agent
 * changed (or the stream cannot tell, after a replay), else `rollout` (a rollout started, was promoted or aborted
 * around it) or `labels` (it was relabelled). All three carry the complete state, so an agent applies any of them
 * as a plain replace, and a client that knows only `policy_version` still follows every change of its version.
 */
export class AgentStream {
  private lastSentId = 0;
  private pending: AgentEvent[] | null = [];
  private state: PolicyState = { fleet: null, rollout: null };
  /** The version this stream last told its agent applies (undefined: not known). */
  private told: number | null | undefined = undefined;

  constructor(
    readonly agentId: string,
    readonly orgId: string,
    private agent: AgentState,
    readonly sink: StreamSink,
  ) {}

  /** The labels the stream matches rollouts with, for counting its organization's streams by label set. */
  get labels(): Record<string, string> {
    return this.agent.labels;
  }

  /** Writes the start, then whatever arrived meanwhile, and goes live. */
  begin(start: StreamStart): void {
    this.state = start.state;
    this.agent = start.agent;
    this.sink.write(retryFrame());
    if (start.kind === "snapshot") {
      this.told = this.applied()?.version ?? null;
      this.sink.write(encodeEvent(start.event, start.snapshot, start.upTo));
      this.lastSentId = start.upTo;
    } else {
      this.told = start.known ? (this.applied()?.version ?? null) : undefined;
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

  private applied(): PolicyVersionEventPayload | null {
    return versionFor(this.state, this.agent.labels);
  }

  private render(event: AgentEvent, shared?: SharedFrames): Uint8Array {
    switch (event.type) {
      case "policy_version":
        this.state = policyStateOf(event.payload);
        return this.policyFrame("rollout", event.id, shared);
      case "labels":
        this.agent = { ...this.agent, labels: (event.payload as { labels: Record<string, string> }).labels };
        return this.policyFrame("labels", event.id);
      case "overrides":
        this.agent = { ...this.agent, overrides: (event.payload as { overrides: AgentRuleOverride[] }).overrides };
        return encodeEvent("overrides", { ...enforcedBy(this.state, this.agent, this), overrides: this.agent.overrides }, event.id);
      case "security_policy":
      case "revoked": {
        const cached = shared?.get(String(event.id));
        if (cached) return cached;
        const frame = encodeEvent(event.type, event.payload, event.id);
        shared?.set(String(event.id), frame);
        return frame;
      }
    }
  }

  /**
   * `policy_version` when the version that applies changed (or is not known to the agent), else `unchanged`. Agents
   * without overrides in the same situation (same version before and after, same side of the rollout) share a frame.
   */
  private policyFrame(unchanged: "rollout" | "labels", id: number, shared?: SharedFrames): Uint8Array {
    const applied = this.applied();
    const version = applied?.version ?? null;
    const name = version === this.told ? unchanged : "policy_version";
    const targeted = this.state.rollout ? applied === this.state.rollout.version : undefined;
    const key = this.agent.overrides.length === 0 && shared ? `${id}:${name}:${this.told}:${version}:${targeted}` : null;
    this.told = version;
    const cached = key === null ? undefined : shared?.get(key);
    if (cached) return cached;
    // Built only when no agent in the same situation has had the frame yet: a publish costs one build per situation.
    const enforced = enforcedBy(this.state, this.agent, this);
    const data = unchanged === "labels" && name === unchanged ? { ...enforced, labels: this.agent.labels } : enforced;
    const frame = encodeEvent(name, data, id);
    if (key !== null) shared?.set(key, frame);
    return frame;
  }
}
