import { expect, test } from "@playwright/test";
import { expectSwitchSettled, signedInAdmin } from "./console-helpers";
import { createUser, signInFirstTime } from "./helpers";

test("four-eyes: disabling MFA Required waits for a second admin, who approves it with a comment", async ({ page, browser }) => {
  const { user } = await signedInAdmin(page);
  const second = await createUser("admin", user.org);

  await page.goto("/settings/organization");
  await page.getByRole("button", { name: "Turn four-eyes approval on" }).click();
  await expect(page.getByText("Four-eyes approval is on.")).toBeVisible();

  // The switch files a request instead, says so, and settles back.
  await page.goto("/policies");
  const mfa = page.getByRole("switch", { name: "MFA Required" });
  await mfa.click();
  await page.getByRole("dialog", { name: "Disable MFA Required?" }).getByRole("button", { name: "Disable MFA Required" }).click();
  await expect(page.getByText(/a change request to disable the critical policy pol-mfa-required was filed/)).toBeVisible();
  await expectSwitchSettled(mfa, true);

  // The overview and the navigation show it; its author can only withdraw it.
  await page.goto("/");
  await expect(page.getByRole("list", { name: "Changes awaiting approval" }).getByRole("listitem")).toHaveCount(1);
  await expect(page.getByRole("link", { name: "Change requests 1 awaiting approval" })).toBeVisible();
  await page.goto("/change-requests");
  await expect(page.getByRole("button", { name: "Withdraw" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve and apply" })).toHaveCount(0);

  const context = await browser.newContext();
  const reviewer = await context.newPage();
  await signInFirstTime(reviewer, second);
  await reviewer.goto("/change-requests");
  const request = reviewer.getByRole("article", { name: "Disable the critical policy pol-mfa-required" });
  await expect(request.locator("tr[data-changed]")).toContainText("enabled");
  await request.getByLabel("Comment (optional)").fill("Passkey rollout window");
  await request.getByRole("button", { name: "Approve and apply" }).click();
  // Applied at once, it moves to the decided requests, with the comment.
  await expect(reviewer.getByRole("region", { name: "Recently decided" }).getByText("applied", { exact: true })).toBeVisible();
  await reviewer.goto("/policies");
  await expect(reviewer.getByRole("switch", { name: "MFA Required" })).toHaveAttribute("aria-checked", "false");
  await reviewer.goto("/change-requests");
  await expect(reviewer.getByRole("article", { name: "Disable the critical policy pol-mfa-required" })).toContainText("Passkey rollout window");
  await expect(reviewer.getByRole("link", { name: /awaiting approval/ })).toHaveCount(0);
  await context.close();
});
