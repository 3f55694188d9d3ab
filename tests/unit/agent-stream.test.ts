/**
 * One agent's stream on its own: live events that arrive while its start loads, the overlap between the start
 * and those events, and frames shared between agents only when they carry the same rules.
 */
import { describe, expect, it } from "vitest";
import type { AgentEvent } from "@/db/schema";
import type { AgentRuleOverride, PolicyVersionEventPayload } from "@/lib/agent-policy/types";
import { AgentStream, type SharedFrames, type StreamStart } from "@/lib/events/agent-stream";
import { BLOCK_RULE } from "../agent-helpers";
import { recordingSink, type Frame } from "../recording-sink";

const policy = (version: number): PolicyVersionEventPayload => ({ version, policyId: "agent-policy", name: `v${version}`, rules: [BLOCK_RULE] });

function event(id: number, type: AgentEvent["type"] = "policy_version", payload: unknown = policy(id)): AgentEvent {
  return { orgId: "org", id, agentId: null, type, payload, createdAt: new Date() };
}

const replay = (events: AgentEvent[], upTo: number): Extract<StreamStart, { kind: "replay" }> => ({ kind: "replay", events, upTo, active: null, overrides: [] });

describe("AgentStream", () => {
  it("holds live events until its start is written, then sends only those after it, each once", () => {
    const sink = recordingSink();
    const stream = new AgentStream("agent", "org", [], sink);
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
    const stream = new AgentStream("agent", "org", [], sink);
    stream.receive(event(9), new Map());
    stream.receive(event(11), new Map());
    stream.begin({
      kind: "snapshot",
      event: "reset",
      upTo: 10,
      active: policy(10),
      snapshot: { agentId: "agent", policyVersion: "v10", policyId: "agent-policy", name: "v10", rules: [BLOCK_RULE], overrides: [], securityPolicies: [] },
    });
    expect(sink.frames.map((frame) => [frame.event, frame.id])).toEqual([
      ["reset", 10],
      ["policy_version", 11],
    ]);
  });

  it("after an empty replay up to a position, sends nothing at or before it", () => {
    const sink = recordingSink();
    const stream = new AgentStream("agent", "org", [], sink);
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
        const stream = new AgentStream(name, "org", overrides, sink);
        stream.begin({ ...replay([], 1), overrides });
        stream.receive(event(2), shared);
        received.set(name, sink.frames);
      }
      const thresholdOf = (name: Name) => (received.get(name)![0]!.data!.rules as { config: { threshold: number } }[])[0]!.config.threshold;
      expect(order.map(thresholdOf), order.join(", ")).toEqual(order.map((name) => thresholds[name] ?? BLOCK_RULE.config.threshold));
    }
  });

  it("answers an overrides change without an active policy with no version and no rules", () => {
    const sink = recordingSink();
    const stream = new AgentStream("agent", "org", [], sink);
    stream.begin(replay([], 1));
    stream.receive(event(2, "overrides", { overrides: [{ type: "block_ip", enabled: false }] }), new Map());
    expect(sink.frames[0]).toMatchObject({ event: "overrides", id: 2, data: { policyVersion: null, policyId: null, name: null, rules: [] } });
  });
});
