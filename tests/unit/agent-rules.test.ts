import { describe, expect, it } from "vitest";
import type { AgentRule } from "@/lib/agent-policy/types";
import { agentOverridesSchema, effectiveRules, formatVersion, parseVersion } from "@/lib/agent-policy/rules";

const rules: AgentRule[] = [
  { type: "block_ip", config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" }, enabled: true },
  { type: "block_ip", config: { trigger: "port_scan", threshold: 10, duration: "1h", scope: "fleet" }, enabled: true },
  { type: "alert_threshold", config: { severity: "critical", countPerHour: 5, notifyChannels: ["email"] }, enabled: true },
];

describe("effectiveRules", () => {
  it("merges config key by key onto every rule of the override's type, and replaces enabled", () => {
    expect(effectiveRules(rules, [{ type: "block_ip", config: { threshold: 3 } }, { type: "alert_threshold", enabled: false }])).toEqual([
      { ...rules[0], config: { ...rules[0]!.config, threshold: 3 } },
      { ...rules[1], config: { ...rules[1]!.config, threshold: 3 } },
      { ...rules[2], enabled: false },
    ]);
  });

  it("leaves rules alone when there are no overrides, or none for their type", () => {
    expect(effectiveRules(rules, [])).toBe(rules);
    expect(effectiveRules(rules, [{ type: "custom", enabled: false }])).toEqual(rules);
  });

  it("never changes the version's own rules", () => {
    const before = JSON.stringify(rules);
    effectiveRules(rules, [{ type: "block_ip", enabled: false, config: { scope: "host" } }]);
    expect(JSON.stringify(rules)).toBe(before);
  });
});

describe("agentOverridesSchema", () => {
  it("validates override config against the rule type, and refuses a type twice", () => {
    expect(agentOverridesSchema.safeParse([{ type: "auto_respond", config: { minConfidence: 0.9 } }]).success).toBe(true);
    expect(agentOverridesSchema.safeParse([{ type: "auto_respond", config: { minConfidence: 2 } }]).success).toBe(false);
    expect(agentOverridesSchema.safeParse([{ type: "block_ip", config: { colour: "red" } }]).success).toBe(false);
    expect(agentOverridesSchema.safeParse([{ type: "custom" }, { type: "custom", enabled: true }]).success).toBe(false);
  });
});

describe("versions", () => {
  it("reads v3 or 3, and nothing else", () => {
    expect(parseVersion("v3")).toBe(3);
    expect(parseVersion("3")).toBe(3);
    for (const bad of ["v0", "latest", "v-1", "", "v3.1", "99999999999"]) expect(parseVersion(bad)).toBeNull();
    expect(formatVersion(12)).toBe("v12");
  });
});
