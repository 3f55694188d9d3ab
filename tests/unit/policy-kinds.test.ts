import { describe, expect, it } from "vitest";
import { isPolicyKind, settingsFields } from "@/lib/policies/kinds";

// The console's settings forms are generated from these descriptions of each kind's schema.
describe("settings fields read from a kind's schema", () => {
  it("describes numbers with their limits and defaults, switches, lists and choices with their words", () => {
    expect(settingsFields("password")).toEqual([
      { name: "minLength", label: "Minimum length", hint: "Characters a new password needs at least.", control: "integer", min: 8, max: 128, defaultValue: 12 },
      { name: "rejectCommon", label: "Reject common passwords", hint: expect.stringContaining("common or easy to guess"), control: "boolean", defaultValue: true },
    ]);
    const [cidrs, appliesTo] = settingsFields("ip_allowlist");
    expect(cidrs).toMatchObject({ name: "cidrs", label: "Allowed addresses", control: "lines" });
    expect(appliesTo).toEqual({
      name: "appliesTo",
      label: "Applies to",
      hint: undefined,
      control: "choice",
      defaultValue: "both",
      choices: [
        { value: "console", label: "The console" },
        { value: "api", label: "The API (tokens)" },
        { value: "both", label: "The console and the API" },
      ],
    });
    expect(settingsFields("login_limits").map((field) => field.name)).toEqual(["maxFailures", "windowMinutes", "lockoutMinutes"]);
    expect(settingsFields("session_timeout").map((field) => field.control)).toEqual(["integer", "integer"]);
  });

  it("knows the kinds, and nothing else", () => {
    expect(isPolicyKind("ip_allowlist")).toBe(true);
    for (const value of ["custom", "", null, undefined, 3, "IP_ALLOWLIST"]) expect(isPolicyKind(value)).toBe(false);
  });
});
