/**
 * One agent's stream on its own: live events that arrive while its start loads, the overlap between the start
 * and those events, and frames shared between agents only when they carry the same rules.
 */
import { describe, expect, it } from "vitest";
import type { AgentEvent } from "@/db/schema";
import type { AgentRuleOverride, PolicyState, PolicyVersionEventPayload } from "@/lib/agent-policy/types";
import { NO_POLICY } from "@/lib/agent-policy/state";
import { AgentStream, type SharedFrames, type StreamStart } from "@/lib/events/agent-stream";
import { ALERT_RULE, BLOCK_RULE } from "../agent-helpers";
import { recordingSink, type Frame } from "../recording-sink";

const policy = (version: number): PolicyVersionEventPayload => ({ version, policyId: "agent-policy", name: `v${version}`, rules: [BLOCK_RULE] });

function event(id: number, type: AgentEvent["type"] = "policy_version", payload: unknown = policy(id)): AgentEvent {
  return { orgId: "org", id, agentId: null, type, payload, createdAt: new Date() };
}

const NO_LABELS = { overrides: [], labels: {} };
const replay = (events: AgentEvent[], upTo: number, state: PolicyState = NO_POLICY, labels: Record<string, string> = {}): Extract<StreamStart, { kind: "replay" }> => ({
  kind: "replay",
  events,
  upTo,
  state,
  agent: { overrides: [], labels },
  known: events.length === 0,
});

describe("AgentStream", () => {
  it("holds live events until its start is written, then sends only those after it, each once", () => {
    const sink = recordingSink();
    const stream = new AgentStream("agent", "org", NO_LABELS, sink);
    const shared: SharedFrames = new Map();
    // Committed while the start loaded: 6 is also in the replay, 7 is not.
    stream.receive(event(6), shared);
    stream.receive(event(7), shared);
    expect(sink.frames).toEqual([]);

    stream.begin(replay([event(5), event(6)], 6));
    stream.receive(event(7), shared);
    stream.receive(event(8), shared);
    expect(sink.frames.map((frame) => frame.id)).toEqual([5, 6, 7, 8]);
  });

  it("after a snapshot up to a position, drops the held events it already covers", () => {
    const sink = recordingSink();
    const stream = new AgentStream("agent", "org", NO_LABELS, sink);
    stream.receive(event(9), new Map());
    stream.receive(event(11), new Map());
    stream.begin({
      kind: "snapshot",
      event: "reset",
      upTo: 10,
      state: { fleet: policy(10), rollout: null },
      agent: NO_LABELS,
      snapshot: { agentId: "agent", policyVersion: "v10", policyId: "agent-policy", name: "v10", rules: [BLOCK_RULE], overrides: [], rollout: null, securityPolicies: [], scope: { orgId: "org", agentId: null, selector: null, highestVersion: 10 }, signature: { keyId: "k", value: "" } },
    });
    expect(sink.frames.map((frame) => [frame.event, frame.id])).toEqual([
      ["reset", 10],
      ["policy_version", 11],
    ]);
  });

  it("after an empty replay up to a position, sends nothing at or before it", () => {
    const sink = recordingSink();
    const stream = new AgentStream("agent", "org", NO_LABELS, sink);
    stream.receive(event(4), new Map());
    stream.begin(replay([], 4));
    stream.receive(event(4), new Map());
    stream.receive(event(5), new Map());
    expect(sink.frames.map((frame) => frame.id)).toEqual([5]);
  });

  it("gives each agent with overrides its own rules, and shares a frame only between agents without, in any order", () => {
    const thresholds = { plain: undefined, three: 3, seven: 7, plainToo: undefined } as const;
    type Name = keyof typeof thresholds;
    for (const order of [["three", "seven", "plain", "plainToo"], ["plain", "plainToo", "seven", "three"]] as const satisfies readonly Name[][]) {
      const shared: SharedFrames = new Map();
      const received = new Map<Name, Frame[]>();
      for (const name of order) {
        const threshold = thresholds[name];
        const overrides: AgentRuleOverride[] = threshold === undefined ? [] : [{ type: "block_ip", config: { threshold } }];
        const sink = recordingSink();
        const stream = new AgentStream(name, "org", { overrides, labels: {} }, sink);
        stream.begin({ ...replay([], 1), agent: { overrides, labels: {} } });
        stream.receive(event(2), shared);
        received.set(name, sink.frames);
      }
      const thresholdOf = (name: Name) => (received.get(name)![0]!.data!.rules as { config: { threshold: number } }[])[0]!.config.threshold;
      expect(order.map(thresholdOf), order.join(", ")).toEqual(order.map((name) => thresholds[name] ?? BLOCK_RULE.config.threshold));
    }
  });

  it("answers an overrides change without an active policy with no version and no rules", () => {
    const sink = recordingSink();
    const stream = new AgentStream("agent", "org", NO_LABELS, sink);
    stream.begin(replay([], 1));
    stream.receive(event(2, "overrides", { overrides: [{ type: "block_ip", enabled: false }] }), new Map());
    expect(sink.frames[0]).toMatchObject({ event: "overrides", id: 2, data: { policyVersion: null, policyId: null, name: null, rules: [] } });
  });

  describe("during a staged rollout", () => {
    const fleet = policy(1);
    const staged: PolicyState = { fleet, rollout: { selector: "ring=canary", version: policy(2) } };
    const canary = { ring: "canary" };
    const stateEvent = (id: number, state: PolicyState) => event(id, "policy_version", state);

    /** Agents on version 1, one in the canary ring and one not, each told where the log stands at 1. */
    function twoAgents() {
      const shared: SharedFrames = new Map();
      const agents = [canary, { ring: "stable" }].map((labels) => {
        const sink = recordingSink();
        const stream = new AgentStream("agent", "org", { overrides: [], labels }, sink);
        stream.begin(replay([], 1, { fleet, rollout: null }, labels));
        return { stream, sink };
      });
      const send = (received: AgentEvent) => {
        agents.forEach(({ stream }) => stream.receive(received, shared));
        return agents.map(({ sink }) => sink.frames.at(-1)!);
      };
      return { send, shared };
    }

    it("sends the version to the agents the selector matches, and tells the others they keep theirs", () => {
      const { send } = twoAgents();
      const [toCanary, toStable] = send(stateEvent(2, staged));
      expect(toCanary).toMatchObject({ event: "policy_version", id: 2, data: { policyVersion: "v2", rollout: { version: "v2", selector: "ring=canary", targeted: true } } });
      expect(toStable).toMatchObject({ event: "rollout", id: 2, data: { policyVersion: "v1", rules: [BLOCK_RULE], rollout: { version: "v2", targeted: false } } });
    });

    it("on promotion sends the version to the rest of the fleet only", () => {
      const { send } = twoAgents();
      send(stateEvent(2, staged));
      const [toCanary, toStable] = send(stateEvent(3, { fleet: policy(2), rollout: null }));
      expect(toCanary).toMatchObject({ event: "rollout", id: 3, data: { policyVersion: "v2", rollout: null } });
      expect(toStable).toMatchObject({ event: "policy_version", id: 3, data: { policyVersion: "v2", rollout: null } });
    });

    it("on abort returns the canary agents to the active version", () => {
      const { send } = twoAgents();
      send(stateEvent(2, staged));
      const [toCanary, toStable] = send(stateEvent(3, { fleet, rollout: null }));
      expect(toCanary).toMatchObject({ event: "policy_version", id: 3, data: { policyVersion: "v1", rollout: null } });
      expect(toStable).toMatchObject({ event: "rollout", id: 3, data: { policyVersion: "v1" } });
    });

    it("moves a relabelled agent into the rollout, or only tells it its labels when its version stays", () => {
      const sink = recordingSink();
      const stream = new AgentStream("agent", "org", { overrides: [], labels: {} }, sink);
      stream.begin(replay([], 2, staged));
      stream.receive({ ...event(3, "labels", { labels: { ring: "canary" } }), agentId: "agent" }, new Map());
      stream.receive({ ...event(4, "labels", { labels: { ring: "canary", zone: "eu" } }), agentId: "agent" }, new Map());
      expect(sink.frames.map((frame) => [frame.event, frame.data?.policyVersion])).toEqual([
        ["policy_version", "v2"],
        ["labels", "v2"],
      ]);
      expect(sink.frames[1]!.data!.labels).toEqual({ ring: "canary", zone: "eu" });
    });

    it("after a replay, whose starting version it cannot know, sends the first change as a new version", () => {
      const sink = recordingSink();
      const stream = new AgentStream("agent", "org", NO_LABELS, sink);
      stream.begin(replay([stateEvent(2, staged)], 2, staged));
      expect(sink.frames[0]).toMatchObject({ event: "policy_version", id: 2, data: { policyVersion: "v1" } });
    });

    it("renders a frame once per situation: agents alike share its bytes, an agent with overrides gets its own", () => {
      const shared: SharedFrames = new Map();
      const agents = [
        { labels: canary, overrides: [] },
        { labels: canary, overrides: [] },
        { labels: { ring: "stable" }, overrides: [] },
        { labels: canary, overrides: [{ type: "alert_threshold", config: { countPerHour: 20 } }] as AgentRuleOverride[] },
      ].map((agent) => {
        const sink = recordingSink();
        const chunks: Uint8Array[] = [];
        const write = sink.write.bind(sink);
        sink.write = (chunk: Uint8Array) => (chunks.push(chunk), write(chunk));
        const stream = new AgentStream("agent", "org", agent, sink);
        stream.begin({ ...replay([], 1, { fleet, rollout: null }, agent.labels), agent });
        return { stream, sink, chunks };
      });
      const staging = { ...stateEvent(2, { fleet, rollout: { selector: "ring=canary", version: { ...policy(2), rules: [ALERT_RULE] } } }) };
      agents.forEach(({ stream }) => stream.receive(staging, shared));
      const [first, second, other, overridden] = agents;
      expect(first!.chunks.at(-1)).toBe(second!.chunks.at(-1));
      expect(other!.sink.frames.at(-1)?.event).toBe("rollout");
      expect(shared.size).toBe(2);
      expect((overridden!.sink.frames.at(-1)?.data?.rules as { config: { countPerHour: number } }[])[0]!.config.countPerHour).toBe(20);
    });
  });
});
