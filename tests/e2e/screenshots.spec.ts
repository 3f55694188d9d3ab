import { mkdirSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { cli, createToken, signInFirstTime } from "./helpers";

// Every run saves them under test-results/; `npm run screenshots` refreshes the README's copies in docs/.
const DIR = process.env.SCREENSHOT_DIR ?? "test-results/screenshots";

// The pictures in the README. One organization with a little history, so the pages show what they are
// for: a custom policy, an edit, a disabled critical policy, tokens, two users, two agent policy versions,
// a small fleet with one agent behind, then a third version rolling out to two of its agents.
test("screenshots of the main pages at 1280 and 390 pixels wide", async ({ page, browser }) => {
  test.slow();
  mkdirSync(DIR, { recursive: true });
  const admin = { email: "alex@acme.example", password: "screenshot password 1", org: "Acme Security" };
  await cli(["user", "create", "--email", admin.email, "--password", "-", "--role", "admin", "--org", admin.org], admin.password);
  await cli(["user", "create", "--email", "sam@acme.example", "--password", "-", "--role", "viewer", "--org", admin.org], "screenshot password 2");
  await page.setViewportSize({ width: 1280, height: 860 });
  await signInFirstTime(page, admin);

  const headers = { Authorization: `Bearer ${await createToken(admin.email)}` };
  const created = await page.request.post("/api/policies", {
    headers,
    data: { name: "Block USB storage", description: "No removable mass storage on managed laptops", type: "access", rules: ["Deny mass storage devices", "Allow HID keyboards"] },
  });
  const { id } = (await created.json()) as { id: string };
  await page.request.put(`/api/policies/${id}`, { headers, data: { rules: ["Deny mass storage devices", "Alert the SOC", "Log every attempt"] } });
  await page.request.post("/api/policies", { headers, data: { name: "Idle timeout", type: "session", rules: ["Lock after 15 minutes"] } });
  await page.request.patch("/api/policies/pol-session-recording", { headers });

  const shoot = async (path: string, name: string) => {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.screenshot({ path: `${DIR}/${name}.png`, fullPage: true });
  };
  await shoot("/policies", "policies");
  await shoot(`/policies/${id}`, "policy");
  await page.getByText("Before / after").first().click();
  await page.screenshot({ path: `${DIR}/policy.png`, fullPage: true });
  await shoot(`/policies/${id}/edit`, "policy-edit");
  await shoot("/audit", "audit");
  await shoot("/policies/new?template=password", "policy-templates");
  await shoot("/settings/tokens", "tokens");
  await shoot("/settings/users", "users");

  await page.goto("/policies");
  await page.getByRole("switch", { name: "MFA Required" }).click();
  await expect(page.getByRole("dialog")).toBeVisible();
  await page.screenshot({ path: `${DIR}/confirm-mfa.png` });
  await page.keyboard.press("Escape");

  const rules = [{ type: "block_ip", config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" } }];
  await page.request.post("/api/policy", { headers, data: { name: "Block brute force", rules } });
  await page.request.post("/api/policy", {
    headers,
    data: { name: "Block brute force, alert the SOC", rules: [...rules, { type: "alert_threshold", config: { severity: "critical", countPerHour: 5, notifyChannels: ["email"] } }] },
  });
  const fleet: Record<string, { agentId: string; token: string }> = {};
  for (const [hostname, version] of [["web-1", "v2"], ["web-2", "v2"], ["db-1", "v1"]] as const) {
    const key = await page.request.post("/api/agents/enrollment-keys", { headers, data: { uses: 1 } });
    const enrollmentKey = ((await key.json()) as { data: { key: string } }).data.key;
    const enrolled = await page.request.post("/api/agents/enroll", { data: { enrollmentKey, hostname, labels: { env: "prod" } } });
    const agent = ((await enrolled.json()) as { data: { agentId: string; token: string } }).data;
    fleet[hostname] = agent;
    await page.request.post("/api/agents/heartbeat", { headers: { Authorization: `Bearer ${agent.token}` }, data: { policyVersion: version } });
  }
  await expect.poll(async () => ((await (await page.request.get("/api/agents?status=online", { headers })).json()) as { data: { total: number } }).data.total).toBe(3);
  await shoot("/agent-policy", "agent-policy");
  await shoot("/agent-policy/publish", "agent-policy-publish");
  await shoot("/agent-policy/diff?from=v1&to=v2", "agent-policy-diff");
  await shoot("/agents", "agents");
  await shoot("/", "overview");

  // A staged rollout: the web servers become the canary ring, v3 rolls out to them first, and one has applied it.
  for (const hostname of ["web-1", "web-2"]) {
    await page.request.put(`/api/agents/${fleet[hostname]!.agentId}/labels`, { headers, data: { labels: { env: "prod", ring: "canary" } } });
  }
  const staged = await page.request.post("/api/policy", {
    headers,
    data: { name: "Block brute force faster", selector: "ring=canary", rules: [{ type: "block_ip", config: { ...rules[0]!.config, threshold: 20 } }] },
  });
  expect(staged.status()).toBe(201);
  await page.request.post("/api/agents/heartbeat", { headers: { Authorization: `Bearer ${fleet["web-1"]!.token}` }, data: { policyVersion: "v3" } });
  await expect.poll(async () => ((await (await page.request.get("/api/agents?search=web-1", { headers })).json()) as { data: { agents: { policyVersion: string }[] } }).data.agents[0]?.policyVersion).toBe("v3");
  await shoot("/agent-policy", "agent-policy-rollout");

  // Four-eyes: disabling MFA Required through the API waits for a second admin.
  await page.request.put("/api/organization/settings", { headers, data: { fourEyes: true } });
  const held = await page.request.patch("/api/policies/pol-mfa-required", { headers, data: { enabled: false } });
  expect(held.status()).toBe(202);
  await shoot("/change-requests", "change-requests");

  await page.setViewportSize({ width: 390, height: 844 });
  await shoot("/", "overview-390");
  await shoot("/policies", "policies-390");
  await shoot("/agent-policy", "agent-policy-rollout-390");

  const signedOut = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const login = await signedOut.newPage();
  await login.goto("/login");
  await login.screenshot({ path: `${DIR}/login.png` });
  // A new user's first sign-in while MFA is required: a passkey first, the authenticator app as the fallback.
  await login.getByLabel("Email").fill("sam@acme.example");
  await login.getByLabel("Password").fill("screenshot password 2");
  await login.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(login.getByRole("heading", { name: "Recommended: a passkey" })).toBeVisible();
  await login.screenshot({ path: `${DIR}/passkey-enrollment.png`, fullPage: true });
  await signedOut.close();
});
