import { expect, test } from "@playwright/test";
import { currentTotp } from "@/lib/auth/totp";
import { watchForViolations } from "./helpers";

// Runs before every other e2e test, against the fresh database the e2e server starts with.
test("first-run setup creates the first admin, who must enrol in MFA, then /setup is gone", async ({ page }) => {
  const violations = await watchForViolations(page);
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page).toHaveTitle(/First-run setup/);
  await page.getByLabel("Organization").fill("First Org");
  await page.getByLabel("Admin email").fill("founder@example.test");
  await page.getByLabel("Password", { exact: true }).fill("first-run password 1");
  await page.getByLabel("Confirm password").fill("first-run password 1");
  await page.getByRole("button", { name: "Create admin account" }).click();

  // "MFA Required" starts enabled, so the new admin lands on enrolment and cannot skip it.
  await expect(page).toHaveURL(/\/mfa\/enroll$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/mfa\/enroll$/);
  const secret = (await page.getByTestId("totp-secret").textContent())!;
  // A passkey is offered first; the authenticator app is the fallback.
  await page.getByText("Use an authenticator app instead").click();
  await page.getByLabel("Enter the 6-digit code the app shows").fill(currentTotp(secret));
  await page.getByRole("button", { name: "Turn on the authenticator app" }).click();
  await expect(page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem")).toHaveCount(10);
  await page.getByRole("link", { name: "I have saved them, continue" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();

  const setup = await page.request.get("/setup");
  expect(setup.status()).toBe(404);
  // The setup and enrolment pages work under the Content-Security-Policy (tests/e2e/security-headers.spec.ts).
  expect(violations).toEqual([]);
});
