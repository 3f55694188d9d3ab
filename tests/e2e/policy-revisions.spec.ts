import { expect, test } from "@playwright/test";
import { signedInAdmin } from "./console-helpers";
import { createToken } from "./helpers";

test("a policy's revisions: compare two, restore one, and bring a deleted policy back", async ({ page }) => {
  const { user } = await signedInAdmin(page);
  const headers = { Authorization: `Bearer ${await createToken(user.email)}` };
  const created = await page.request.post("/api/policies", { headers, data: { name: "Block USB", type: "network", rules: ["Deny mass storage"] } });
  const { id } = (await created.json()) as { id: string };
  await page.request.put(`/api/policies/${id}`, { headers, data: { name: "Block USB storage", rules: ["Deny mass storage", "Alert the SOC"] } });

  await page.goto(`/policies/${id}`);
  const revisions = page.getByRole("region", { name: "Revisions" });
  await expect(revisions.getByRole("row")).toHaveCount(3);
  // The newest two are compared at first: the edit, its details and then rule by rule.
  const comparison = page.getByRole("region", { name: "Revision 1 compared with revision 2" });
  await expect(comparison.getByText("1 added, 0 removed, 0 changed, 1 unchanged rules.")).toBeVisible();
  await expect(comparison.getByRole("region", { name: "Details that changed" }).getByRole("row", { name: /name/ })).toContainText(/Block USB\s*Block USB storage/);
  await expect(comparison.getByRole("list", { name: "Rule changes" }).getByRole("listitem").nth(1)).toContainText("Added");

  await page.getByRole("button", { name: "Restore revision 1" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Restore" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Block USB" })).toBeVisible();
  await expect(revisions.getByRole("row")).toHaveCount(4);
  await expect(revisions.getByRole("row").nth(1)).toContainText("from revision 1");

  // Compare any two: the first and the restored one are the same policy.
  await page.getByLabel("From", { exact: true }).selectOption("1");
  await page.getByLabel("To", { exact: true }).selectOption("3");
  await page.getByRole("button", { name: "Compare" }).click();
  await expect(page).toHaveURL(/from=1&to=3/);
  await expect(page.getByRole("region", { name: "Revision 1 compared with revision 3" })).toContainText("No differences: both have the same details and rules.");

  // The deletion's audit entry leads to the Deleted tab.
  await page.request.delete(`/api/policies/${id}`, { headers });
  await page.goto("/audit");
  await page.getByRole("link", { name: "Restore it from Deleted policies" }).first().click();
  await expect(page).toHaveURL(/\/policies\?type=deleted$/);
  const deleted = page.getByRole("region", { name: "Deleted policies" });
  await expect(deleted.getByRole("row", { name: /Block USB/ })).toBeVisible();
  await page.getByRole("button", { name: "Restore Block USB" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Restore policy" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Block USB" })).toBeVisible();
  await expect(revisions.getByRole("row").nth(1)).toContainText("Restored");
});
