import { describe, expect, it } from "vitest";
import { draftsFromJson, rulesToJson, toApiPath, toDrafts, toOverrideDrafts, toOverrideInputs, toRuleInputs } from "@/components/agent-rule-draft";
import { ruleTemplate, RULE_TYPES } from "@/components/agent-rule-types";
import { agentRulesSchema } from "@/lib/agent-policy/rules";

const keyOf = (index: number) => `k${index}`;
const RULES = [
  { type: "block_ip", config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" }, enabled: true },
  { type: "alert_threshold", config: { severity: "critical", countPerHour: 5, notifyChannels: ["telegram", "email"] }, enabled: false },
  { type: "auto_respond", config: { trigger: "malware", action: "quarantine_file", minConfidence: 0.85, requireApproval: true }, enabled: true },
  { type: "custom", config: { condition: "proc.name == 'nc'", action: "kill", params: { signal: 9, tags: ["a"] } }, enabled: true },
] as const;

describe("the publish editor's drafts", () => {
  it("round-trip through the JSON view unchanged", () => {
    const drafts = toDrafts([...RULES], keyOf);
    const json = rulesToJson(drafts);
    expect(JSON.parse(json)).toEqual(RULES);
    const back = draftsFromJson(json, keyOf);
    expect(back.ok && toRuleInputs(back.value)).toEqual(RULES);
  });

  it("keep a wrong value as it is, for the server to name", () => {
    const json = JSON.stringify([{ type: "block_ip", config: { trigger: "x", threshold: "fifty", duration: "2h", scope: "host", extra: 1 } }]);
    const back = draftsFromJson(json, keyOf);
    expect(back.ok && toRuleInputs(back.value)).toEqual([
      { type: "block_ip", config: { trigger: "x", threshold: "fifty", duration: "2h", scope: "host", extra: 1 }, enabled: true },
    ]);
  });

  it("reuse the keys of the rules already on screen, by position", () => {
    const back = draftsFromJson(JSON.stringify([RULES[0], RULES[1]]), (index) => ["first", "second"][index]!);
    expect(back.ok && back.value.map((draft) => draft.key)).toEqual(["first", "second"]);
  });

  it("refuse JSON the structured editor cannot show, saying where", () => {
    expect(draftsFromJson("{", keyOf)).toEqual({ ok: false, error: expect.stringMatching(/^Not valid JSON/) });
    expect(draftsFromJson("{}", keyOf)).toEqual({ ok: false, error: "The rules must be a JSON array." });
    expect(draftsFromJson('[{"type":"teleport","config":{}}]', keyOf)).toEqual({ ok: false, error: expect.stringMatching(/^rules\[0\]\.type must be one of/) });
    expect(draftsFromJson('[{"type":"custom","config":{},"id":1}]', keyOf)).toEqual({ ok: false, error: 'rules[0] has a field the editor does not know: "id".' });
    expect(draftsFromJson('[{"type":"custom","config":[]}]', keyOf)).toEqual({ ok: false, error: "rules[0].config must be an object." });
    expect(draftsFromJson('[{"type":"custom","enabled":"yes"}]', keyOf)).toEqual({ ok: false, error: "rules[0].enabled must be true or false." });
  });

  it("leave out fields an editor emptied", () => {
    const [rule] = toRuleInputs([{ key: "a", type: "custom", enabled: true, config: { condition: "c", action: "a", params: undefined } }]);
    expect(rule).toEqual({ type: "custom", enabled: true, config: { condition: "c", action: "a" } });
  });

  it("start a new rule from a template the schema accepts once the admin fills in what only they know", () => {
    const filled = { block_ip: { trigger: "brute_force" }, alert_threshold: { notifyChannels: ["email"] }, auto_respond: { trigger: "malware" }, custom: { condition: "c", action: "a" } };
    const rules = RULE_TYPES.map((type) => ({ type, enabled: true, config: { ...ruleTemplate(type), ...filled[type] } }));
    expect(agentRulesSchema.safeParse(rules).success).toBe(true);
  });
});

describe("toApiPath", () => {
  it("turns a console field key into the API's path", () => {
    expect(toApiPath("rules.1.config.threshold")).toBe("rules[1].config.threshold");
    expect(toApiPath("rules")).toBe("rules");
    expect(toApiPath("name")).toBe("name");
  });
});

describe("override drafts", () => {
  it("send one override per type, in rule-type order, without empty config", () => {
    const drafts = toOverrideDrafts([
      { type: "custom", config: { action: "alert" } },
      { type: "block_ip", enabled: false },
    ]);
    drafts.alert_threshold = { enabled: undefined, config: { countPerHour: undefined } };
    expect(toOverrideInputs(drafts)).toEqual([{ type: "block_ip", enabled: false }, { type: "alert_threshold" }, { type: "custom", config: { action: "alert" } }]);
  });
});
