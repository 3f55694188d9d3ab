import { expect, test, type Page } from "@playwright/test";
import { ALERT_RULE, bearer, BLOCK_RULE, enrollByApi, expectNoSeriousViolations, heartbeat, publishByApi, seen } from "./fleet-helpers";
import { createToken, createUser, signInFirstTime, type E2eUser } from "./helpers";

// The agent console: publishing, diff and rollback, the agents list, overrides, revocation, enrollment keys
// and live convergence. Agents are played by API calls, exactly as a real agent makes them.

const RESPOND_RULE = { type: "auto_respond", config: { trigger: "malware", action: "quarantine_file", minConfidence: 0.85, requireApproval: true }, enabled: true };

/** A new organization whose admin is signed in, with an API token to act as the fleet around the browser. */
async function adminSession(page: Page): Promise<{ user: E2eUser; token: string }> {
  const user = await createUser("admin");
  const token = await createToken(user.email);
  await signInFirstTime(page, user);
  return { user, token };
}

test.describe("agent policy page", () => {
  test("publishes a version with the structured editor, showing a validation error at its field first", async ({ page }) => {
    await adminSession(page);
    await page.goto("/agent-policy");
    await expect(page).toHaveTitle(/Agent policy/);
    await expect(page.getByText("No version published yet")).toBeVisible();
    await page.getByRole("link", { name: "Publish the first version" }).click();
    await expect(page.getByRole("heading", { name: "Publish a new version" })).toBeVisible();

    await page.getByLabel("Name").fill("Baseline");
    const blockRule = page.getByRole("group", { name: "Rule 1: Block IP" });
    await blockRule.getByLabel("Trigger").fill("brute_force");
    await blockRule.getByLabel("Threshold").fill("0");
    await page.getByRole("button", { name: "Publish v1" }).click();

    // The server names rules[0].config.threshold; the message sits beside that input and describes it.
    const threshold = blockRule.getByLabel("Threshold");
    await expect(threshold).toHaveAttribute("aria-invalid", "true");
    await expect(threshold).toHaveAccessibleDescription("must be greater than 0");
    await expect(page.getByRole("alert").filter({ hasText: "Check the highlighted fields." })).toContainText("rules[0].config.threshold: must be greater than 0");

    await threshold.fill("50");
    await blockRule.getByLabel("Duration").selectOption("24h");
    await page.getByLabel("New rule type").selectOption("alert_threshold");
    await page.getByRole("button", { name: "Add rule" }).click();
    const alertRule = page.getByRole("group", { name: "Rule 2: Alert threshold" });
    await expect(alertRule.getByLabel("Type")).toBeFocused();
    await alertRule.getByLabel("Severity").selectOption("critical");
    await alertRule.getByLabel("Count per hour").fill("5");
    await alertRule.getByLabel("Notify channels").fill("telegram, email");

    // The JSON view holds exactly what the form holds, and an edit there comes back to the form.
    await page.getByRole("button", { name: "JSON" }).click();
    const json = page.getByLabel("Rules as JSON");
    const rules = JSON.parse(await json.inputValue()) as { config: Record<string, unknown> }[];
    expect(rules).toEqual([BLOCK_RULE, ALERT_RULE]);
    rules[1]!.config.countPerHour = 6;
    await json.fill(JSON.stringify(rules, null, 2));
    await page.getByRole("button", { name: "Structured" }).click();
    await expect(alertRule.getByLabel("Count per hour")).toHaveValue("6");

    await page.getByRole("button", { name: "Move rule 2 up" }).click();
    await expect(page.getByRole("group", { name: "Rule 1: Alert threshold" })).toBeVisible();
    await page.getByRole("button", { name: "Publish v1" }).click();

    await expect(page).toHaveURL(/\/agent-policy\?published=v1/);
    await expect(page.getByText("Published v1 and pushed it to 0 connected agents.")).toBeVisible();
    const rulesOfV1 = page.getByRole("list", { name: "Rules of v1" }).getByRole("listitem");
    await expect(rulesOfV1).toHaveText([
      /Notify telegram, email when more than 6 events of critical severity or higher occur in an hour/,
      /Block IPs after 50 brute_force events for 24h on this host/,
    ]);
  });

  test("compares any two versions and republishes an old one as a rollback", async ({ page }, testInfo) => {
    const { token } = await adminSession(page);
    await publishByApi(page.request, token, { name: "Baseline", rules: [BLOCK_RULE, ALERT_RULE] });
    await publishByApi(page.request, token, { name: "Stricter", rules: [{ ...BLOCK_RULE, config: { ...BLOCK_RULE.config, threshold: 100 } }, RESPOND_RULE] });

    await page.goto("/agent-policy");
    const history = page.getByRole("region", { name: "Version history table" });
    await expect(history.getByRole("row")).toHaveCount(3);
    await page.getByRole("button", { name: "Compare" }).click();
    await expect(page).toHaveURL(/\/agent-policy\/diff\?from=v1&to=v2/);
    await expect(page.getByRole("heading", { name: "v1 → v2" })).toBeVisible();
    await expect(page.getByText("1 added, 1 removed, 1 changed, 0 unchanged rules.")).toBeVisible();
    const changes = page.getByRole("list", { name: "Rule changes" }).getByRole("listitem");
    await expect(changes).toHaveCount(3);
    await expect(changes.nth(0)).toContainText("Changed");
    await expect(changes.nth(0).getByRole("row", { name: /config\.threshold/ })).toContainText(/50\s*100/);
    await expect(changes.filter({ hasText: "Removed" })).toContainText("Notify telegram, email");
    await expect(changes.filter({ hasText: "Added" })).toContainText("Respond to malware detected with at least 85% confidence by quarantine_file, after approval");
    await expect(page.getByRole("region", { name: "Details that changed" }).getByRole("row", { name: /name/ })).toContainText(/Baseline\s*Stricter/);
    await expectNoSeriousViolations(page, testInfo, "diff");

    // Either direction, chosen in the form.
    await page.getByLabel("From", { exact: true }).selectOption("v2");
    await page.getByLabel("To", { exact: true }).selectOption("v1");
    await page.getByRole("button", { name: "Compare" }).click();
    await expect(page.getByRole("heading", { name: "v2 → v1" })).toBeVisible();

    await page.goto("/agent-policy");
    await page.getByRole("button", { name: "Republish v1" }).click();
    const dialog = page.getByRole("dialog", { name: "Republish v1?" });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Republish as v3" }).click();
    await expect(page.getByText("Republished v1 as v3, now active.")).toBeVisible();
    await expect(page.getByRole("list", { name: "Rules of v3" }).getByRole("listitem")).toHaveCount(2);
    await expect(page.getByText("Republished from v1").first()).toBeVisible();
    const v3 = await page.request.get("/api/policy/versions/v3", { headers: bearer(token) });
    expect(((await v3.json()) as { data: Record<string, unknown> }).data).toMatchObject({ name: "Baseline", republishedFrom: "v1", rules: [BLOCK_RULE, ALERT_RULE] });
    await expectNoSeriousViolations(page, testInfo, "agent-policy");
  });

  test("a viewer sees the policy but no write controls", async ({ page }) => {
    const admin = await createUser("admin");
    const token = await createToken(admin.email);
    await publishByApi(page.request, token, { name: "Baseline", rules: [BLOCK_RULE] });
    await publishByApi(page.request, token, { name: "Second", rules: [ALERT_RULE] });

    await signInFirstTime(page, await createUser("viewer", admin.org));
    await page.goto("/agent-policy");
    await expect(page.getByRole("list", { name: "Rules of v2" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Publish a new version" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /Republish/ })).toHaveCount(0);
    await page.goto("/agent-policy/publish");
    await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  });
});

test.describe("agents page", () => {
  test("lists enrolled agents, filters the outdated ones, sets an override and revokes an agent", async ({ page }, testInfo) => {
    const { token } = await adminSession(page);
    await publishByApi(page.request, token, { name: "Baseline", rules: [BLOCK_RULE, ALERT_RULE] });
    const web = await enrollByApi(page.request, token, "web-1", { env: "prod" });
    const db = await enrollByApi(page.request, token, "db-1");
    expect((await heartbeat(page.request, web.token, "v1")).status()).toBe(200);
    expect((await heartbeat(page.request, db.token, null)).status()).toBe(200);
    await seen(page.request, token, web.agentId);
    await seen(page.request, token, db.agentId);

    await page.goto("/agents");
    await expect(page).toHaveTitle(/Agents/);
    const table = page.getByRole("region", { name: "Agents table" });
    const webRow = table.getByRole("row", { name: /web-1/ });
    await expect(webRow).toContainText(web.agentId);
    await expect(webRow).toContainText("env=prod");
    await expect(webRow).toContainText("Online");
    await expect(webRow).toContainText("v1");
    await expect(webRow).not.toContainText("Outdated");
    await expect(table.getByRole("row", { name: /db-1/ })).toContainText("Outdated");
    await expectNoSeriousViolations(page, testInfo, "agents");

    await page.getByRole("navigation", { name: "Filter agents by status" }).getByRole("link", { name: "Outdated" }).click();
    await expect(page).toHaveURL(/status=outdated/);
    await expect(page.getByRole("link", { name: "Outdated", exact: true })).toHaveAttribute("aria-current", "page");
    await expect(table.getByRole("row")).toHaveCount(2);
    await expect(table.getByRole("row", { name: /db-1/ })).toBeVisible();

    await page.getByRole("link", { name: "All", exact: true }).click();
    // The search form carries the current status filter: wait until the page shows "All" before searching.
    await expect(page.getByRole("link", { name: "All", exact: true })).toHaveAttribute("aria-current", "page");
    await page.getByLabel("Search by hostname or id").fill(web.agentId);
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(new RegExp(`[?&]q=${web.agentId}`));
    await expect(table.getByRole("row")).toHaveCount(2);
    await table.getByRole("link", { name: "web-1" }).click();

    await expect(page.getByRole("heading", { name: "web-1" })).toBeVisible();
    await page.getByLabel("Override Block IP rules on this agent").check();
    await page.getByRole("group", { name: "Block IP rules" }).getByLabel("Threshold").fill("5");
    await expect(page.getByRole("list", { name: "Effective rules preview" })).toContainText("Block IPs after 5 brute_force events for 24h on this host");
    await expectNoSeriousViolations(page, testInfo, "agent-detail");
    await page.getByRole("button", { name: "Save overrides" }).click();
    await expect(page.getByText("Overrides saved and pushed to the agent.")).toBeVisible();
    await expect(page.getByRole("list", { name: "Effective rules", exact: true })).toContainText("Block IPs after 5 brute_force events");
    const effective = await page.request.get(`/api/policy/agent/${web.agentId}`, { headers: bearer(token) });
    expect(((await effective.json()) as { data: { rules: { config: Record<string, unknown> }[] } }).data.rules[0]!.config.threshold).toBe(5);

    await page.getByRole("button", { name: "Revoke agent" }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke web-1?" });
    await dialog.getByRole("button", { name: "Revoke agent" }).click();
    await expect(page.getByText("Revoked", { exact: true }).first()).toBeVisible();
    await expect(page.getByRole("button", { name: "Revoke agent" })).toHaveCount(0);
    expect((await heartbeat(page.request, web.token, "v1")).status()).toBe(401);
  });

  test("the convergence panel follows heartbeats live, without a reload", async ({ page }) => {
    const { token } = await adminSession(page);
    await publishByApi(page.request, token, { name: "Baseline", rules: [BLOCK_RULE] });
    const agent = await enrollByApi(page.request, token, "edge-1");

    await page.goto("/agents");
    const panel = page.getByRole("region", { name: "Fleet convergence" });
    await expect(panel.getByRole("status", { name: "Live updates: Live" })).toBeVisible();
    await expect(panel.getByText("v1: 0 of 0 online agents up to date")).toBeVisible();
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    expect((await heartbeat(page.request, agent.token, null)).status()).toBe(200);
    await expect(panel.getByText("v1: 0 of 1 online agents up to date")).toBeVisible();
    expect((await heartbeat(page.request, agent.token, "v1")).status()).toBe(200);
    await expect(panel.getByText("v1: 1 of 1 online agents up to date")).toBeVisible();
    await expect(panel.getByRole("row", { name: /v1/ })).toContainText(/converged in \d+(\.\d)? s/);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  });

  test("enrollment keys: created with uses and expiry, shown once, listed, revoked", async ({ page }, testInfo) => {
    await adminSession(page);
    await page.goto("/agents");
    await page.getByRole("link", { name: "Enrollment keys" }).click();
    await expect(page.getByText("No enrollment keys yet.")).toBeVisible();
    await page.getByLabel("Uses (optional)").fill("2");
    await page.getByLabel("Expires in hours (optional)").fill("24");
    await page.getByRole("button", { name: "Create enrollment key" }).click();
    const key = (await page.getByTestId("enrollment-key").textContent())!;
    expect(key).toMatch(/^penr_[A-Za-z0-9_-]{43}$/);
    const row = page.getByRole("region", { name: "Enrollment keys table" }).getByRole("row", { name: new RegExp(key.slice(0, 11)) });
    await expect(row).toContainText("Active");
    await expect(row).toContainText("0 / 2");
    await expectNoSeriousViolations(page, testInfo, "enrollment-keys");

    const enrolled = await page.request.post("/api/agents/enroll", { data: { enrollmentKey: key, hostname: "from-console" } });
    expect(enrolled.status()).toBe(201);
    await page.reload();
    await expect(page.getByTestId("enrollment-key")).toHaveCount(0);
    await expect(row).toContainText("1 / 2");

    await row.getByRole("button", { name: /^Revoke key/ }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await expect(row).toContainText("Revoked");
    const refused = await page.request.post("/api/agents/enroll", { data: { enrollmentKey: key, hostname: "too-late" } });
    expect(refused.status()).toBe(401);
  });
});

test.describe("layouts", () => {
  for (const width of [390, 1280]) {
    test(`the agent pages fit ${width}px wide`, async ({ page }, testInfo) => {
      const { token } = await adminSession(page);
      await publishByApi(page.request, token, { name: "Baseline", rules: [BLOCK_RULE, ALERT_RULE, RESPOND_RULE] });
      await publishByApi(page.request, token, { name: "Second", rules: [BLOCK_RULE] });
      const agent = await enrollByApi(page.request, token, "laptop-with-a-rather-long-hostname.example.internal", { team: "platform", env: "prod" });
      await heartbeat(page.request, agent.token, "v1");
      await page.setViewportSize({ width, height: 900 });
      for (const [name, path] of [
        ["agent-policy", "/agent-policy"],
        ["publish", "/agent-policy/publish"],
        ["diff", "/agent-policy/diff"],
        ["agents", "/agents"],
        ["agent", `/agents/${agent.agentId}`],
      ] as const) {
        await page.goto(path);
        await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${path} scrolls sideways at ${width}px`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: testInfo.outputPath(`${name}-${width}.png`), fullPage: true });
      }
      await page.goto("/agent-policy/publish");
      await expectNoSeriousViolations(page, testInfo, `publish-${width}`);
    });
  }
});
