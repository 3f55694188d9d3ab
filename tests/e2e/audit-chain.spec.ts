import { expect, test } from "@playwright/test";
import { signedInAdmin } from "./console-helpers";

test("the audit page shows the chain verified, and an admin signs a checkpoint that the banner then names", async ({ page }) => {
  await signedInAdmin(page);
  await page.goto("/audit");
  const chain = page.getByRole("region", { name: "Audit chain" });
  await expect(chain.getByRole("status").first()).toContainText(/Verified: \d+ entries, no checkpoint signed yet/);

  await chain.getByRole("button", { name: "Sign a checkpoint now" }).click();
  await expect(chain.getByText(/Signed a checkpoint at position \d+/)).toBeVisible();
  await expect(chain).toContainText(/Verified up to checkpoint 1 \(position \d+\) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);

  await chain.getByRole("button", { name: "Verify now" }).click();
  await expect(chain.getByText(/Verified \d+ entries/)).toBeVisible();
  // The checkpoint is in the log itself, for the SIEM stream and exports.
  await expect(page.getByRole("table")).toContainText("sign_audit_checkpoint");
});
