import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { ALERT_RULE, bearer, BLOCK_RULE, enrollByApi, expectNoSeriousViolations, heartbeat, publishByApi, reported } from "./fleet-helpers";
import { auditRows } from "./console-helpers";
import { createToken, createUser, signInFirstTime, watchForViolations, type E2eUser } from "./helpers";

// Staged rollouts in the console: a version published to the agents a label selector matches first, its progress
// on the agent policy page, then promoted to the whole fleet or aborted. Agents are played by API calls, exactly as
// a real agent makes them.

/**
 * Opens an agent's event stream, as a connected agent holds it, and waits for its first event: by then the server
 * counts it among the connected agents. Returns what closes it.
 */
async function connect(baseURL: string, agentToken: string): Promise<() => void> {
  const controller = new AbortController();
  const response = await fetch(`${baseURL}/api/agents/stream`, { headers: bearer(agentToken), signal: controller.signal });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  expect((await reader.read()).done).toBe(false);
  return () => controller.abort();
}

/** An organization with a fleet version v1 and two agents on it, one labelled ring=canary. */
async function fleetOnV1(request: APIRequestContext, admin: E2eUser) {
  const token = await createToken(admin.email);
  await publishByApi(request, token, { name: "Baseline", rules: [BLOCK_RULE] });
  const canary = await enrollByApi(request, token, "canary-1", { ring: "canary" });
  const stable = await enrollByApi(request, token, "stable-1", { ring: "stable" });
  for (const agent of [canary, stable]) expect((await heartbeat(request, agent.token, "v1")).status()).toBe(200);
  for (const agent of [canary, stable]) await reported(request, token, agent.agentId, "v1");
  return { token, canary, stable };
}

const rolloutCard = (page: Page) => page.getByRole("region", { name: "Rollout in progress" });

/** One of the rollout card's figures (Targeted, Applied, Outdated, Offline), as the admin reads it. */
const figure = (card: Locator, label: string) => card.locator("dt", { hasText: new RegExp(`^${label}$`) }).locator("xpath=following-sibling::dd[1]");

const historyRow = (page: Page, version: string) => page.getByRole("region", { name: "Version history table" }).getByRole("row", { name: new RegExp(`^${version}\\b`) });

test("an admin stages a version to ring=canary, watches it apply, promotes it, then aborts a second rollout", async ({ page, baseURL }, testInfo) => {
  const violations = await watchForViolations(page);
  const admin = await createUser("admin");
  const { token, canary, stable } = await fleetOnV1(page.request, admin);
  // Both agents hold a stream: the publish reaches only the one the selector matches.
  const disconnect = [await connect(baseURL!, canary.token), await connect(baseURL!, stable.token)];
  await signInFirstTime(page, admin);

  await page.goto("/agent-policy/publish");
  await page.getByLabel("Name").fill("Stricter");
  await page.getByRole("group", { name: "Rule 1: Block IP" }).getByLabel("Threshold").fill("20");
  const selector = page.getByLabel("Roll out first to agents matching");
  await expect(selector).toHaveAccessibleDescription(/key=value, key!=value, key in \(a,b\) or key notin \(a,b\).*ring=canary/);

  // Not a selector, then a selector no agent matches: each refused at the field, nothing published.
  await selector.fill("ring~canary");
  await page.getByRole("button", { name: "Publish v2" }).click();
  await expect(selector).toHaveAttribute("aria-invalid", "true");
  await expect(selector).toHaveAccessibleDescription(/"ring~canary" \(requirement 1\) is not key=value/);
  await expect(page.getByRole("alert").filter({ hasText: "Check the highlighted fields." })).toContainText("selector:");
  await selector.fill("ring=nowhere");
  await page.getByRole("button", { name: "Publish v2" }).click();
  await expect(selector).toHaveAccessibleDescription("ring=nowhere matches no enrolled agent: relabel agents first, or publish to the whole fleet");

  await selector.fill("ring = canary");
  await expect(page.getByText("It applies only to the agents the selector matches")).toBeVisible();
  await page.getByRole("button", { name: "Publish v2" }).click();
  await expect(page).toHaveURL(/\/agent-policy\?published=v2/);
  // Two agents are connected; the staged version was pushed to the one it targets.
  await expect(page.getByText("Published v2, rolling out to ring=canary first: pushed it to the 1 connected agent it matches.")).toBeVisible();

  const card = rolloutCard(page);
  await expect(card).toContainText("Stricter");
  await expect(card).toContainText(`by ${admin.email}`);
  await expect(card.getByRole("listitem", { name: "Agents matching ring=canary" })).toBeVisible();
  await expect(figure(card, "Targeted")).toHaveText("1");
  await expect(figure(card, "Applied")).toHaveText("0");
  // The canary agent is online and still runs v1.
  await expect(figure(card, "Outdated")).toHaveText("1");
  await expect(figure(card, "Offline")).toHaveText("0");
  await expect(card.getByRole("listitem", { name: "The rest of the fleet" })).toContainText("The rest of the fleet keeps v1 until v2 is promoted.");
  // v1 stays active for the rest; v2 is marked as the canary.
  await expect(page.getByRole("heading", { name: /Active version\s*v1/ })).toBeVisible();
  await expect(historyRow(page, "v2")).toContainText("canary · ring=canary");
  await expect(historyRow(page, "v1")).toContainText("Active");
  // One rollout at a time: no publishing, no republishing, until it ends.
  await expect(page.getByRole("link", { name: "Publish a new version" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /Republish/ })).toHaveCount(0);
  await page.goto("/agent-policy/publish");
  await expect(page.getByText("v2 is rolling out to ring=canary")).toBeVisible();
  await expect(page.getByRole("button", { name: /^Publish v/ })).toHaveCount(0);

  // The canary applies v2, the other agent keeps v1: both are where they should be, on the page as it stands.
  await page.goto("/agent-policy");
  await expect(figure(card, "Applied")).toHaveText("0");
  expect((await heartbeat(page.request, canary.token, "v2")).status()).toBe(200);
  expect((await heartbeat(page.request, stable.token, "v1")).status()).toBe(200);
  await reported(page.request, token, canary.agentId, "v2");
  await expect(figure(card, "Applied")).toHaveText("1", { timeout: 15_000 });
  await expect(figure(card, "Outdated")).toHaveText("0");
  await expect(card).toContainText("1 of 1 targeted agent applied v2");
  await page.goto("/agents");
  const agents = page.getByRole("region", { name: "Agents table" });
  await expect(agents.getByRole("row", { name: /canary-1/ })).toContainText(/v2\s*canary/);
  await expect(agents.getByRole("row", { name: /stable-1/ })).not.toContainText("Outdated");
  await expect(agents.getByRole("row", { name: /canary-1/ })).not.toContainText("Outdated");
  await expect(page.getByText("v1 for the fleet, v2 for ring=canary: 2 of 2 online agents up to date")).toBeVisible();

  // Readable on a phone, and accessible.
  await page.goto("/agent-policy");
  await page.setViewportSize({ width: 390, height: 844 });
  const box = (await card.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  for (const name of ["Promote to the whole fleet", "Abort"]) {
    const button = card.getByRole("button", { name, exact: true });
    await button.scrollIntoViewIfNeeded();
    await expect(button).toBeInViewport({ ratio: 1 });
  }
  await expectNoSeriousViolations(page, testInfo, "rollout");
  await page.setViewportSize({ width: 1280, height: 860 });

  // Promote, confirmed: v2 becomes the active version and the card goes.
  await card.getByRole("button", { name: "Promote to the whole fleet" }).click();
  const promote = page.getByRole("dialog", { name: "Promote v2 to the whole fleet?" });
  await expect(promote).toContainText("every agent, not only those matching ring=canary, is told to apply it, in place of v1");
  await promote.getByRole("button", { name: "Promote v2" }).click();
  await expect(card).toHaveCount(0);
  await expect(page.getByRole("heading", { name: /Active version\s*v2/ })).toBeVisible();
  await expect(historyRow(page, "v2")).toContainText("Active");
  await expect(historyRow(page, "v2")).toContainText("promoted");
  await expect(page.getByRole("link", { name: "Publish a new version" })).toBeVisible();
  const active = await page.request.get("/api/policy/active", { headers: bearer(token) });
  expect(((await active.json()) as { data: { version: string; stage: string } }).data).toMatchObject({ version: "v2", stage: "fleet" });

  // A second rollout, aborted: its agents go back to v2, which stays active.
  await publishByApi(page.request, token, { name: "Too strict", rules: [ALERT_RULE], selector: "ring=canary" });
  await page.goto("/agent-policy");
  await expect(card).toContainText("Too strict");
  await expect(card).toContainText("The rest of the fleet keeps v2 until v3 is promoted.");
  await card.getByRole("button", { name: "Abort", exact: true }).click();
  const abort = page.getByRole("dialog", { name: "Abort the rollout of v3?" });
  await expect(abort).toContainText("go back to v2, the active version");
  // Cancel changes nothing.
  await abort.getByRole("button", { name: "Cancel" }).click();
  await expect(card).toBeVisible();
  await card.getByRole("button", { name: "Abort", exact: true }).click();
  await abort.getByRole("button", { name: "Abort the rollout" }).click();
  await expect(card).toHaveCount(0);
  await expect(historyRow(page, "v3")).toContainText("aborted");
  await expect(historyRow(page, "v3")).not.toContainText("Active");
  await expect(page.getByRole("heading", { name: /Active version\s*v2/ })).toBeVisible();
  await page.goto("/agent-policy/versions/v3");
  await expect(page.getByText("Rolled out to ring=canary, then aborted")).toBeVisible();
  // Publishing is open again, and numbers carry on after the aborted version.
  await page.goto("/agent-policy/publish");
  await expect(page.getByRole("button", { name: "Publish v4" })).toBeVisible();

  // Both ends are in the audit log, by whom and for which version.
  await page.goto("/audit");
  const promoted = auditRows(page).filter({ hasText: "promote_policy_version" });
  await expect(promoted).toHaveCount(1);
  await expect(promoted).toContainText("Agent policy rollout promoted");
  await expect(promoted).toContainText("agent-policy:v2");
  await expect(promoted).toContainText('Promoted v2 "Stricter" from ring=canary to the whole fleet');
  await expect(promoted).toContainText(admin.email);
  const aborted = auditRows(page).filter({ hasText: "abort_policy_version" });
  await expect(aborted).toHaveCount(1);
  await expect(aborted).toContainText("Agent policy rollout aborted");
  await expect(aborted).toContainText("agent-policy:v3");
  await expect(aborted).toContainText(admin.email);

  for (const close of disconnect) close();
  expect(violations).toEqual([]);
});

test("a viewer sees the rollout and its figures but neither Promote nor Abort", async ({ page }) => {
  const admin = await createUser("admin");
  const { token } = await fleetOnV1(page.request, admin);
  await publishByApi(page.request, token, { name: "Stricter", rules: [BLOCK_RULE, ALERT_RULE], selector: "ring=canary" });

  await signInFirstTime(page, await createUser("viewer", admin.org));
  await page.goto("/agent-policy");
  const card = rolloutCard(page);
  await expect(card).toContainText("Stricter");
  await expect(figure(card, "Targeted")).toHaveText("1");
  await expect(page.getByRole("button", { name: "Promote to the whole fleet" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Abort", exact: true })).toHaveCount(0);
  await page.goto("/agent-policy/versions/v2");
  await expect(page.getByText("Rolling out to the agents matching ring=canary")).toBeVisible();
  await expect(page.getByRole("button", { name: "Promote to the whole fleet" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Abort", exact: true })).toHaveCount(0);
});

test("with four-eyes on, Promote files a change request, and the rollout waits for a second admin", async ({ page }) => {
  const admin = await createUser("admin");
  const { token } = await fleetOnV1(page.request, admin);
  await publishByApi(page.request, token, { name: "Stricter", rules: [BLOCK_RULE, ALERT_RULE], selector: "ring=canary" });
  expect((await page.request.put("/api/organization/settings", { headers: bearer(token), data: { fourEyes: true } })).status()).toBe(200);
  await signInFirstTime(page, admin);

  await page.goto("/agent-policy");
  const card = rolloutCard(page);
  await card.getByRole("button", { name: "Promote to the whole fleet" }).click();
  await page.getByRole("dialog", { name: "Promote v2 to the whole fleet?" }).getByRole("button", { name: "Promote v2" }).click();
  await expect(card.getByRole("alert")).toContainText("Four-eyes approval is on: a change request to promote the rollout of agent policy v2 to the whole fleet was filed.");
  // Nothing changed yet: the rollout is still in progress, and says what it waits for.
  await expect(card.getByRole("status").filter({ hasText: "Awaiting a second admin" })).toContainText(`Promote the rollout of agent policy v2 to the whole fleet, requested by ${admin.email}`);
  await expect(page.getByRole("heading", { name: /Active version\s*v1/ })).toBeVisible();

  // A second admin approves it: v2 is promoted.
  const second = await createUser("admin", admin.org);
  const reviewer = bearer(await createToken(second.email));
  const pending = (await (await page.request.get("/api/change-requests?state=pending", { headers: reviewer })).json()) as { id: string; action: string }[];
  expect(pending.map((request) => request.action)).toEqual(["promote_agent_policy"]);
  expect((await page.request.post(`/api/change-requests/${pending[0]!.id}/approve`, { headers: reviewer, data: {} })).status()).toBe(200);
  await page.reload();
  await expect(card).toHaveCount(0);
  await expect(page.getByRole("heading", { name: /Active version\s*v2/ })).toBeVisible();
  await expect(historyRow(page, "v2")).toContainText("promoted");
});
