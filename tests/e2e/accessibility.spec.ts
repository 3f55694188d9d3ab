import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { signedInAdmin } from "./console-helpers";
import { createToken } from "./helpers";

/** The axe violations that block someone: serious and critical ones. */
async function blockingViolations(page: Page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => ({ rule: violation.id, impact: violation.impact, targets: violation.nodes.map((node) => node.target.join(" ")) }));
}

test("the main pages have no serious or critical accessibility violations", async ({ page, browser }) => {
  test.slow();
  const { user } = await signedInAdmin(page);
  const headers = { Authorization: `Bearer ${await createToken(user.email)}` };
  const created = await page.request.post("/api/policies", { headers, data: { name: "Block USB storage", type: "access", rules: ["Deny mass storage"] } });
  const { id } = (await created.json()) as { id: string };
  await page.request.put(`/api/policies/${id}`, { headers, data: { rules: ["Deny mass storage", "Log every attempt"] } });

  for (const [path, heading] of [
    ["/", "Overview"],
    ["/policies", "Security policies"],
    [`/policies/${id}`, "Block USB storage"],
    [`/policies/${id}/edit`, "Edit Block USB storage"],
    ["/policies/new", "New policy"],
    ["/audit", "Audit log"],
    ["/settings/tokens", "API tokens"],
    ["/settings/users", "Users"],
    ["/settings/audit-streaming", "Audit streaming"],
    ["/settings/account", "Your account"],
    ["/policies/no-such-policy", "Page not found"],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    if (path === "/audit") await page.getByText("Before / after").first().click();
    expect(await blockingViolations(page), path).toEqual([]);
  }

  // A confirmation dialog, open.
  await page.goto("/policies");
  await page.getByRole("switch", { name: "MFA Required" }).click();
  await expect(page.getByRole("dialog")).toBeVisible();
  expect(await blockingViolations(page), "toggle dialog").toEqual([]);

  // The narrow layout, with its menu open.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  await page.getByText("Menu").click();
  expect(await blockingViolations(page), "overview at 390px").toEqual([]);

  const signedOut = await browser.newContext();
  const login = await signedOut.newPage();
  await login.goto("/login");
  await expect(login.getByRole("heading", { name: "Sign in", exact: true })).toBeVisible();
  expect(await blockingViolations(login), "/login").toEqual([]);
  await signedOut.close();
});
