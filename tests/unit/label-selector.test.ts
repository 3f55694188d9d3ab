/** Label selectors as a staged rollout targets agents: what parses, its one spelling, and what it matches. */
import { describe, expect, it } from "vitest";
import { formatSelector, labelSelectorSchema, matchesSelector, parseSelector } from "@/lib/agent-policy/selector";

const matches = (selector: string, labels: Record<string, string>) => {
  const parsed = parseSelector(selector);
  if ("error" in parsed) throw new Error(parsed.error);
  return matchesSelector(parsed.requirements, labels);
};

describe("label selectors", () => {
  it("match key=value, key!=value, key in (…), key notin (…), all of them joined by commas", () => {
    expect(matches("ring=canary", { ring: "canary" })).toBe(true);
    expect(matches("ring=canary", { ring: "stable" })).toBe(false);
    expect(matches("ring==canary", { ring: "canary" })).toBe(true);
    expect(matches("ring!=canary", { ring: "stable" })).toBe(true);
    expect(matches("ring!=canary", { ring: "canary" })).toBe(false);
    expect(matches("env in (prod, staging)", { env: "staging" })).toBe(true);
    expect(matches("env in (prod,staging)", { env: "dev" })).toBe(false);
    expect(matches("env notin (prod)", { env: "dev" })).toBe(true);
    expect(matches("ring=canary, env in (prod,staging)", { ring: "canary", env: "prod" })).toBe(true);
    expect(matches("ring=canary,env in (prod,staging)", { ring: "canary", env: "dev" })).toBe(false);
    // A set's commas are not the separator: what follows the set is a requirement of its own.
    expect(matches("env in (prod,staging),ring=canary", { ring: "stable", env: "prod" })).toBe(false);
    expect(matches("env notin (prod,staging), ring=canary", { ring: "canary", env: "dev" })).toBe(true);
  });

  it("treat a missing label as not equal, as Kubernetes does: != and notin match it, = and in do not", () => {
    expect(matches("ring=canary", {})).toBe(false);
    expect(matches("ring in (canary)", {})).toBe(false);
    expect(matches("ring!=canary", {})).toBe(true);
    expect(matches("ring notin (canary)", {})).toBe(true);
    // Not an own property: a label named like an Object method is simply absent.
    expect(matches("constructor!=x", {})).toBe(true);
  });

  it("have one spelling, whatever the spacing", () => {
    expect(labelSelectorSchema.parse(" ring = canary ,env  in ( prod , staging ) ")).toBe("ring=canary,env in (prod,staging)");
    expect(labelSelectorSchema.parse("ring==canary")).toBe("ring=canary");
    const parsed = parseSelector("a!=b,c notin (d)");
    expect("requirements" in parsed && formatSelector(parsed.requirements)).toBe("a!=b,c notin (d)");
  });

  it("refuse what is not a selector, naming the requirement", () => {
    for (const [text, message] of [
      ["", '"" (requirement 1)'],
      ["ring~canary", '"ring~canary" (requirement 1)'],
      ["ring=canary,", '"" (requirement 2)'],
      ["env in (prod,)", '"env in (prod,)" (requirement 1)'],
      ["env in prod", '"env in prod" (requirement 1)'],
      ["-ring=canary", '"-ring=canary" (requirement 1)'],
      ["ring=(canary)", '"ring=(canary)" (requirement 1)'],
    ]) {
      const result = labelSelectorSchema.safeParse(text);
      expect(result.success, text).toBe(false);
      expect(result.error?.issues[0]?.message, text).toContain(message);
    }
    const requirements = (count: number) => Array.from({ length: count }, (_, index) => `k${index}=v`).join(",");
    expect(labelSelectorSchema.safeParse(requirements(20)).success).toBe(true);
    expect(labelSelectorSchema.safeParse(requirements(21)).error?.issues[0]?.message).toBe("at most 20 requirements");
  });
});
