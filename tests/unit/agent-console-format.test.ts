import { describe, expect, it } from "vitest";
import { describeRule } from "@/components/agent-rule-summary";
import { formatAgo, formatDateTime, formatDuration } from "@/components/format";

describe("describeRule", () => {
  it("says each rule type in words", () => {
    expect(describeRule({ type: "block_ip", config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" } })).toBe(
      "Block IPs after 50 brute_force events for 24h on this host",
    );
    expect(describeRule({ type: "block_ip", config: { trigger: "port_scan", threshold: 5, duration: "permanent", scope: "fleet" } })).toBe(
      "Block IPs after 5 port_scan events permanently across the fleet",
    );
    expect(describeRule({ type: "alert_threshold", config: { severity: "critical", countPerHour: 5, notifyChannels: ["telegram", "email"] } })).toBe(
      "Notify telegram, email when more than 5 events of critical severity or higher occur in an hour",
    );
    expect(describeRule({ type: "auto_respond", config: { trigger: "malware", action: "quarantine_file", minConfidence: 0.85, requireApproval: false } })).toBe(
      "Respond to malware detected with at least 85% confidence by quarantine_file, automatically",
    );
    expect(describeRule({ type: "custom", config: { condition: "proc.name == 'nc'", action: "kill", params: { signal: 9 } } })).toBe(
      `When proc.name == 'nc', run kill with {"signal":9}`,
    );
  });

  it("shows a config the schema refuses as its JSON", () => {
    expect(describeRule({ type: "block_ip", config: { threshold: 0 } })).toBe('{"threshold":0}');
  });
});

describe("time formatting", () => {
  it("formats durations at a readable precision", () => {
    expect(formatDuration(0.42)).toBe("0.4 s");
    expect(formatDuration(3.24)).toBe("3.2 s");
    expect(formatDuration(12)).toBe("12 s");
    expect(formatDuration(252)).toBe("4 min 12 s");
    expect(formatDuration(3600)).toBe("1 h");
    expect(formatDuration(7500)).toBe("2 h 5 min");
    expect(formatDuration(3 * 86_400 + 4 * 3600 + 59)).toBe("3 d 4 h");
  });

  it("formats moments in UTC, the same on every page, and relative to now", () => {
    expect(formatDateTime("2026-03-07T12:00:05.000Z")).toBe("2026-03-07 12:00:05 UTC");
    expect(formatDateTime(new Date("2026-03-07T23:59:59.999+01:00"))).toBe("2026-03-07 22:59:59 UTC");
    expect(formatDateTime(null)).toBe("—");
    expect(formatDateTime(undefined, "Never")).toBe("Never");
    const now = Date.parse("2026-03-07T12:05:00.000Z");
    expect(formatAgo("2026-03-07T12:04:48.000Z", now)).toBe("12 s ago");
    expect(formatAgo("2026-03-07T12:05:00.000Z", now)).toBe("just now");
  });
});
