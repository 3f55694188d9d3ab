import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Page, type TestInfo } from "@playwright/test";

// The fleet around the browser, played by API calls exactly as an admin's script and real agents make them.

export const BLOCK_RULE = { type: "block_ip", config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" }, enabled: true };
export const ALERT_RULE = { type: "alert_threshold", config: { severity: "critical", countPerHour: 5, notifyChannels: ["telegram", "email"] }, enabled: true };

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Publishes a version (to a selector's agents when one is given). */
export async function publishByApi(request: APIRequestContext, token: string, data: { name: string; rules: unknown[]; selector?: string }): Promise<void> {
  const response = await request.post("/api/policy", { headers: bearer(token), data });
  expect(response.status()).toBe(201);
}

/** Enrols an agent with a fresh single-use key. */
export async function enrollByApi(request: APIRequestContext, token: string, hostname: string, labels: Record<string, string> = {}): Promise<{ agentId: string; token: string }> {
  const keyResponse = await request.post("/api/agents/enrollment-keys", { headers: bearer(token), data: { uses: 1 } });
  expect(keyResponse.status()).toBe(201);
  const { key } = ((await keyResponse.json()) as { data: { key: string } }).data;
  const enrolled = await request.post("/api/agents/enroll", { data: { enrollmentKey: key, hostname, labels } });
  expect(enrolled.status()).toBe(201);
  return ((await enrolled.json()) as { data: { agentId: string; token: string } }).data;
}

export function heartbeat(request: APIRequestContext, agentToken: string, policyVersion: string | null) {
  return request.post("/api/agents/heartbeat", { headers: bearer(agentToken), data: { policyVersion } });
}

/** The agent as the API lists it. Heartbeats are written in batches: poll this to see one land. */
async function listedAgent(request: APIRequestContext, token: string, agentId: string) {
  const response = await request.get(`/api/agents?search=${agentId}`, { headers: bearer(token) });
  return ((await response.json()) as { data: { agents: { lastSeenAt: string | null; policyVersion: string | null }[] } }).data.agents[0];
}

/** Waits until the API shows the agent seen. */
export async function seen(request: APIRequestContext, token: string, agentId: string): Promise<void> {
  await expect.poll(async () => (await listedAgent(request, token, agentId))?.lastSeenAt ?? null).not.toBeNull();
}

/** Waits until the API shows the agent reporting `version`. */
export async function reported(request: APIRequestContext, token: string, agentId: string, version: string): Promise<void> {
  await expect.poll(async () => (await listedAgent(request, token, agentId))?.policyVersion ?? null).toBe(version);
}

/** axe finds nothing serious or critical on the page (its full findings are attached to the test). */
export async function expectNoSeriousViolations(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: "application/json" });
  expect(serious.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`)).toEqual([]);
}
