import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { auditRows, signedInAdmin } from "./console-helpers";
import { createToken } from "./helpers";

const CSV_HEADER = "id,timestamp,user_id,user_email,action,resource,details,success,ip,user_agent,before,after,chain_position,hash";

test("filtering the audit log, paging through it, and exporting the current filter as CSV and JSON", async ({ page }) => {
  test.slow();
  const { user } = await signedInAdmin(page);
  const headers = { Authorization: `Bearer ${await createToken(user.email)}` };
  for (let toggle = 0; toggle < 3; toggle++) await page.request.patch("/api/policies/pol-network-zero-trust", { headers });
  expect((await page.request.patch("/api/policies/no-such-policy", { headers })).status()).toBe(404);

  await page.goto("/audit");
  await expect(page).toHaveTitle("Audit log · Palisade");
  await page.getByLabel("Action").selectOption("toggle_policy");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/\/audit\?action=toggle_policy/);
  await expect(auditRows(page)).toHaveCount(4);

  await page.getByLabel("Result").selectOption("false");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(auditRows(page)).toHaveCount(1);
  await expect(auditRows(page)).toContainText("policy:no-such-policy");
  await expect(auditRows(page)).toContainText("Failed");

  await page.getByLabel("Result").selectOption("");
  await page.getByLabel("Resource").fill("policy:pol-network-zero-trust");
  await page.getByLabel("User email").fill(user.email.toUpperCase());
  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel("From (UTC)").fill(today);
  await page.getByLabel("To (UTC, included)").fill(today);
  await page.getByRole("button", { name: "Apply filters" }).click();
  const rows = auditRows(page);
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText("Policy disabled");
  await expect(rows.nth(1)).toContainText("Policy enabled");

  // The exports hold what the filter selects: the three toggles of Zero Trust, newest first.
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
  expect(csvDownload.suggestedFilename()).toMatch(/^palisade-audit-log-\d{8}T\d{6}Z\.csv$/);
  const csvLines = readFileSync((await csvDownload.path())!, "utf8").trimEnd().split("\n");
  expect(csvLines[0]).toBe(CSV_HEADER);
  expect(csvLines).toHaveLength(4);
  for (const line of csvLines.slice(1)) expect(line).toContain(`,${user.email},toggle_policy,policy:pol-network-zero-trust,`);
  expect(csvLines[1]).toContain(",Policy disabled,true,");
  expect(csvLines[2]).toContain(",Policy enabled,true,");

  const [jsonDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export JSON" }).click()]);
  const exported = JSON.parse(readFileSync((await jsonDownload.path())!, "utf8")) as { details: string; before: { enabled: boolean } }[];
  expect(exported.map((entry) => entry.details)).toEqual(["Policy disabled", "Policy enabled", "Policy disabled"]);
  expect(exported[0]!.before.enabled).toBe(true);

  // A date range that ends before it starts is explained, not silently empty.
  await page.goto(`/audit?from=${today}&to=2000-01-01`);
  await expect(page.getByText("This filter is not valid")).toBeVisible();
  await page.goto("/audit?from=2000-01-01&to=2000-01-02");
  await expect(page.getByText("No entries match this filter")).toBeVisible();

  // 60 entries more: the first page has the newest 50, "Older entries" the rest, with no overlap.
  for (let toggle = 0; toggle < 60; toggle++) await page.request.patch("/api/policies/pol-session-recording", { headers });
  await page.goto("/audit?resource=policy:pol-session-recording");
  await expect(rows).toHaveCount(50);
  const firstPage = await rows.locator("time").evaluateAll((times) => times.map((time) => time.getAttribute("datetime")));
  await page.getByRole("link", { name: "Older entries →" }).click();
  await expect(rows).toHaveCount(10);
  const secondPage = await rows.locator("time").evaluateAll((times) => times.map((time) => time.getAttribute("datetime")));
  expect(secondPage.every((time) => time! <= firstPage.at(-1)!)).toBe(true);
  await expect(page.getByRole("link", { name: "Older entries →" })).toHaveCount(0);
  await page.getByRole("link", { name: "← Newest entries" }).click();
  await expect(rows).toHaveCount(50);
});
