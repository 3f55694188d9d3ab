import { describe, expect, it } from "vitest";
import type { AgentRule } from "@/lib/agent-policy/types";
import { diffRules, diffVersions } from "@/lib/agent-policy/diff";
import { diffFields, jsonEqual } from "@/lib/diff";
import { diffRevisions } from "@/lib/policies/diff";
import type { PolicyJson } from "@/lib/policies/serialize";

const block = (threshold: number, trigger = "brute_force"): AgentRule => ({
  type: "block_ip",
  config: { trigger, threshold, duration: "24h", scope: "host" },
  enabled: true,
});
const alert: AgentRule = { type: "alert_threshold", config: { severity: "critical", countPerHour: 5, notifyChannels: ["telegram", "email"] }, enabled: true };
const custom = (params: Record<string, unknown>): AgentRule => ({ type: "custom", config: { condition: "proc.name == 'nc'", action: "kill", params }, enabled: true });

describe("jsonEqual", () => {
  it("compares JSON values structurally, ignoring key order but not array order", () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });
});

describe("diffFields", () => {
  it("names added, removed and changed fields by dotted path, walking nested objects", () => {
    expect(diffFields({ a: 1, b: { x: 1, y: 2 }, list: ["a"] }, { b: { x: 2, z: 3 }, list: ["a", "b"], c: true })).toEqual([
      { path: "a", kind: "removed", from: 1 },
      { path: "b.x", kind: "changed", from: 1, to: 2 },
      { path: "b.y", kind: "removed", from: 2 },
      { path: "b.z", kind: "added", to: 3 },
      { path: "list", kind: "changed", from: ["a"], to: ["a", "b"] },
      { path: "c", kind: "added", to: true },
    ]);
  });
});

describe("diffRules", () => {
  it("finds nothing between identical rule sets", () => {
    const changes = diffRules([block(50), alert], [block(50), alert]);
    expect(changes.map((change) => change.kind)).toEqual(["unchanged", "unchanged"]);
  });

  it("reports a changed field and a toggled rule", () => {
    const changes = diffRules([block(50), alert], [block(100), { ...alert, enabled: false }]);
    expect(changes).toEqual([
      expect.objectContaining({ kind: "changed", fromIndex: 0, toIndex: 0, fields: [{ path: "config.threshold", kind: "changed", from: 50, to: 100 }] }),
      expect.objectContaining({ kind: "changed", fromIndex: 1, toIndex: 1, fields: [{ path: "enabled", kind: "changed", from: true, to: false }] }),
    ]);
  });

  it("reports added and removed rules, each removed rule where it stood", () => {
    const changes = diffRules([block(50), alert, custom({})], [block(50), custom({}), { type: "auto_respond", config: {}, enabled: true }]);
    expect(changes.map((change) => [change.kind, change.type])).toEqual([
      ["unchanged", "block_ip"],
      ["removed", "alert_threshold"],
      ["unchanged", "custom"],
      ["added", "auto_respond"],
    ]);
  });

  it("recognizes a moved rule as unchanged, and says where it came from", () => {
    const changes = diffRules([block(50), alert], [alert, block(50)]);
    expect(changes).toEqual([
      expect.objectContaining({ kind: "unchanged", type: "alert_threshold", fromIndex: 1, toIndex: 0 }),
      expect.objectContaining({ kind: "unchanged", type: "block_ip", fromIndex: 0, toIndex: 1 }),
    ]);
  });

  it("pairs a changed rule with the most similar rule of its type, not the first one", () => {
    const from = [block(10, "port_scan"), block(50, "brute_force")];
    const to = [block(60, "brute_force")];
    const changes = diffRules(from, to);
    expect(changes).toEqual([
      expect.objectContaining({ kind: "removed", fromIndex: 0 }),
      expect.objectContaining({ kind: "changed", fromIndex: 1, toIndex: 0, fields: [{ path: "config.threshold", kind: "changed", from: 50, to: 60 }] }),
    ]);
  });

  it("walks into a custom rule's params", () => {
    const [change] = diffRules([custom({ port: 22, mode: "strict" })], [custom({ port: 2222 })]);
    expect(change).toMatchObject({
      kind: "changed",
      fields: [
        { path: "config.params.port", kind: "changed", from: 22, to: 2222 },
        { path: "config.params.mode", kind: "removed", from: "strict" },
      ],
    });
  });

  it("never pairs rules of different types", () => {
    const changes = diffRules([block(50)], [alert]);
    expect(changes.map((change) => change.kind)).toEqual(["removed", "added"]);
  });
});

describe("diffVersions", () => {
  it("compares name and description, and counts rule changes", () => {
    const diff = diffVersions(
      { name: "Baseline", description: null, rules: [block(50), alert] },
      { name: "Stricter", description: "Lower threshold", rules: [block(20)] },
    );
    expect(diff.fields).toEqual([
      { path: "name", kind: "changed", from: "Baseline", to: "Stricter" },
      { path: "description", kind: "added", to: "Lower threshold" },
    ]);
    expect(diff.counts).toEqual({ added: 0, removed: 1, changed: 1, unchanged: 0 });
  });
});

describe("diffRevisions (a security policy's rule strings)", () => {
  const policy = (rules: string[], extra: Partial<PolicyJson> = {}): PolicyJson => ({
    id: "pol-usb",
    name: "Block USB",
    description: "",
    type: "network",
    rules,
    enabled: true,
    created_at: "2026-11-30T00:00:00.000Z",
    ...extra,
  });

  it("names the details that changed, then each rule kept, reworded (matched with the nearest unmatched rule) or removed", () => {
    const diff = diffRevisions(policy(["Deny mass storage", "Log attempts", "Alert"]), policy(["Deny mass storage", "Alert the SOC"], { name: "Block USB storage", enabled: false }));
    expect(diff.fields).toEqual([
      { path: "name", kind: "changed", from: "Block USB", to: "Block USB storage" },
      { path: "enabled", kind: "changed", from: true, to: false },
    ]);
    expect(diff.rules.map((change) => [change.kind, "from" in change ? change.from : change.rule])).toEqual([
      ["unchanged", "Deny mass storage"],
      ["changed", "Log attempts"],
      ["removed", "Alert"],
    ]);
    expect(diff.counts).toEqual({ added: 0, removed: 1, changed: 1, unchanged: 1 });
  });

  it("finds nothing between identical states, whatever their creation time", () => {
    const diff = diffRevisions(policy(["A"]), policy(["A"], { created_at: "2026-12-01T00:00:00.000Z" }));
    expect(diff.fields).toEqual([]);
    expect(diff.counts).toEqual({ added: 0, removed: 0, changed: 0, unchanged: 1 });
  });
});
