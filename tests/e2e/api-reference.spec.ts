import { expect, test } from "@playwright/test";
import { signedInAdmin } from "./console-helpers";
import { expectNoSeriousViolations } from "./fleet-helpers";
import { watchForViolations } from "./helpers";

test("the API reference renders the OpenAPI document for anyone, under the console's Content-Security-Policy", async ({ page }, testInfo) => {
  // A page of ~9,300 elements, checked whole by axe: this test took 22 s and 51 s in two runs here, near the 60 s default.
  test.slow();
  const violations = await watchForViolations(page);
  const response = await page.goto("/docs/api");
  expect(response?.status()).toBe(200);
  // The console's own policy, nonce and all: nothing was loosened for this page.
  const policy = response?.headers()["content-security-policy"] ?? "";
  expect(policy).toMatch(/style-src 'self' 'nonce-[^']+'(;|$)/);
  expect(policy).not.toContain("unsafe-inline");

  await expect(page.getByRole("heading", { level: 1, name: "Palisade API reference" })).toBeVisible();
  const toggle = page.getByRole("article").filter({ has: page.getByRole("heading", { name: "PATCH /api/policies/{id} Toggle a security policy" }) });
  await expect(toggle).toBeVisible();
  await expect(toggle.getByText("Credentials: API token (role: admin), or Console session (role: admin).")).toBeVisible();
  await expect(toggle.getByText('"message": "Policy disabled"')).toBeVisible();
  await page.getByRole("navigation", { name: "Operations" }).getByRole("link", { name: "GET /api/agents/stream", exact: true }).click();
  await expect(page).toHaveURL(/#agentStream$/);
  await expect(page.getByRole("article").filter({ hasText: "The agent's event stream" }).getByText("security_policy", { exact: true }).first()).toBeVisible();

  const document = await page.request.get("/api/openapi.json");
  expect(document.status()).toBe(200);
  expect(((await document.json()) as { openapi: string }).openapi).toMatch(/^3\.1\./);

  await expectNoSeriousViolations(page, testInfo, "api-reference");
  expect(violations).toEqual([]);
});

test("the console's help menu links to the API reference", async ({ page }) => {
  await signedInAdmin(page);
  const help = page.getByRole("complementary").getByText("Help", { exact: true });
  await help.click();
  await page.getByRole("complementary").getByRole("link", { name: "API reference" }).click();
  await expect(page).toHaveURL(/\/docs\/api$/);
  await expect(page.getByRole("heading", { level: 1, name: "Palisade API reference" })).toBeVisible();
});
