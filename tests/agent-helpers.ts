import * as enrollRoute from "@/app/api/agents/enroll/route";
import * as enrollmentKeys from "@/app/api/agents/enrollment-keys/route";
import * as streamRoute from "@/app/api/agents/stream/route";
import * as policyRoute from "@/app/api/policy/route";
import { call, type TestOrg } from "./helpers";
import { SseReader } from "./sse-client";

export const BLOCK_RULE = {
  type: "block_ip",
  config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" },
  enabled: true,
} as const;

export const ALERT_RULE = {
  type: "alert_threshold",
  config: { severity: "critical", countPerHour: 5, notifyChannels: ["telegram", "email"] },
  enabled: true,
} as const;

export async function createEnrollmentKey(org: TestOrg, body: Record<string, unknown> = {}): Promise<string> {
  const response = await call(enrollmentKeys.POST, "POST", "/api/agents/enrollment-keys", { token: org.admin.token, body });
  if (response.status !== 201) throw new Error(`enrollment key: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: { key: string } }).data.key;
}

export interface TestAgent {
  agentId: string;
  token: string;
}

export async function enroll(enrollmentKey: string, hostname = "host-1", labels?: Record<string, string>): Promise<TestAgent> {
  const response = await call(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey, hostname, labels } });
  if (response.status !== 201) throw new Error(`enroll: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: TestAgent }).data;
}

export async function enrollAgent(org: TestOrg, hostname?: string, labels?: Record<string, string>): Promise<TestAgent> {
  return enroll(await createEnrollmentKey(org), hostname, labels);
}

/** Opens an agent stream through the real route handler. */
export async function openStream(token: string, lastEventId?: string): Promise<SseReader> {
  const headers: Record<string, string> = {};
  if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
  const response = await call(streamRoute.GET, "GET", "/api/agents/stream", { token, headers });
  if (response.status !== 200) throw new Error(`stream: ${response.status} ${await response.text()}`);
  return new SseReader(response);
}

export async function publish(org: TestOrg, rules: unknown[] = [BLOCK_RULE], name = "Policy"): Promise<{ version: string; broadcastedTo: number }> {
  const response = await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: { name, rules } });
  if (response.status !== 201) throw new Error(`publish: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: { version: string; broadcastedTo: number } }).data;
}
