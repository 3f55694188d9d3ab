import { expect, test } from "@playwright/test";
import { signedInAdmin } from "./console-helpers";
import { createToken, createUser, signInFirstTime } from "./helpers";

test("a token created in the console works against the API until it is revoked there", async ({ page }) => {
  await signedInAdmin(page);
  await page.goto("/settings/tokens");
  await expect(page).toHaveTitle("API tokens · Settings · Palisade");
  await expect(page.getByText("No API tokens yet")).toBeVisible();
  await page.getByLabel("Name").fill("ci pipeline");
  await page.getByLabel("Expires after (days)").fill("30");
  await page.getByRole("button", { name: "Create token" }).click();

  const secret = (await page.getByTestId("new-token").textContent())!.trim();
  expect(secret).toMatch(/^pal_[A-Za-z0-9_-]{43}$/);
  const row = page.getByTestId("token-row").filter({ hasText: "ci pipeline" });
  await expect(row).toContainText(secret.slice(0, 10));
  await expect(row).toContainText("Active");
  await expect(row).toContainText(new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10));
  await expect(row).not.toContainText(secret);

  const headers = { Authorization: `Bearer ${secret}` };
  const listed = await page.request.get("/api/policies", { headers });
  expect(listed.status()).toBe(200);
  expect(await listed.json()).toHaveLength(3);

  // Shown once: gone after a reload; the last use shows up.
  await expect(async () => {
    await page.reload();
    await expect(row).not.toContainText("Never", { timeout: 1000 });
  }).toPass();
  await expect(page.getByTestId("new-token")).toHaveCount(0);

  await row.getByRole("button", { name: "Revoke token ci pipeline" }).click();
  await page.getByRole("dialog", { name: "Revoke “ci pipeline”?" }).getByRole("button", { name: "Revoke token" }).click();
  await expect(row).toContainText("Revoked");
  await expect(row.getByRole("button")).toHaveCount(0);

  const refused = await page.request.get("/api/policies", { headers });
  expect(refused.status()).toBe(401);
  expect(await refused.json()).toEqual({ detail: "Not authenticated" });
});

test("a viewer manages only their own tokens, which only read; an admin sees and revokes everyone's", async ({ page, browser }) => {
  const admin = await createUser("admin");
  const viewer = await createUser("viewer", admin.org);
  await createToken(admin.email);

  const viewerContext = await browser.newContext();
  const viewerPage = await viewerContext.newPage();
  await signInFirstTime(viewerPage, viewer);
  await viewerPage.goto("/settings/tokens");
  await expect(viewerPage.getByRole("heading", { name: "Your tokens" })).toBeVisible();
  await expect(viewerPage.getByText("No API tokens yet")).toBeVisible();
  await viewerPage.getByLabel("Name").fill("reporting");
  await viewerPage.getByRole("button", { name: "Create token" }).click();
  const secret = (await viewerPage.getByTestId("new-token").textContent())!.trim();
  await expect(viewerPage.getByTestId("token-row")).toHaveCount(1);
  const headers = { Authorization: `Bearer ${secret}` };
  expect((await viewerPage.request.get("/api/policies", { headers })).status()).toBe(200);
  expect((await viewerPage.request.patch("/api/policies/pol-mfa-required", { headers })).status()).toBe(403);

  await signInFirstTime(page, admin);
  await page.goto("/settings/tokens");
  const rows = page.getByTestId("token-row");
  await expect(rows).toHaveCount(2);
  const viewerRow = rows.filter({ hasText: viewer.email });
  await expect(viewerRow).toContainText("reporting");
  await viewerRow.getByRole("button", { name: "Revoke token reporting" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
  await expect(viewerRow).toContainText("Revoked");
  expect((await viewerPage.request.get("/api/policies", { headers })).status()).toBe(401);
  await viewerContext.close();
});
