import { expect, test } from "@playwright/test";
import { enterPassword, signedInAdmin } from "./console-helpers";
import { createToken, signIn } from "./helpers";

const OFFICE = "203.0.113.7";

test("an IP allowlist from its template: the lockout guard, then enforcement on the console and the API", async ({ page }) => {
  // As if behind the proxy the server trusts (TRUSTED_PROXIES=1): every request comes from the office.
  await page.setExtraHTTPHeaders({ "x-forwarded-for": OFFICE });
  const { user } = await signedInAdmin(page);
  const token = await createToken(user.email);

  await page.goto("/policies/new");
  const templates = page.getByRole("navigation", { name: "Templates" });
  await templates.getByRole("link", { name: /IP allowlist/ }).click();
  await expect(page).toHaveURL(/template=ip_allowlist$/);
  await expect(templates.getByRole("link", { name: /IP allowlist/ })).toHaveAttribute("aria-current", "page");

  // A range that leaves the admin out is refused before anything is saved, and a bad line is named.
  const ranges = page.getByLabel("Allowed addresses");
  await ranges.fill("198.51.100.0/24\n10.0.0.0/33");
  await page.getByRole("button", { name: "Create policy" }).click();
  await expect(page.getByText("Line 2: must be an IPv4 or IPv6 address or CIDR range")).toBeVisible();
  await ranges.fill("198.51.100.0/24");
  await page.getByRole("button", { name: "Create policy" }).click();
  await expect(page.getByRole("form", { name: "New policy from template" }).getByRole("alert")).toContainText(`would lock you out: it does not admit your address (${OFFICE}) on the console`);

  await ranges.fill("198.51.100.0/24\n203.0.113.0/24\n2001:db8::/32");
  await page.getByRole("button", { name: "Create policy" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "IP allowlist" })).toBeVisible();
  for (const rule of ["Only these addresses may reach the console and the API", "Allow 203.0.113.0/24", "Allow 2001:db8::/32"]) {
    await expect(page.getByRole("list", { name: "Rules" }).getByText(rule, { exact: true })).toBeVisible();
  }

  // From elsewhere, the console sends the session to sign-in with the reason, and the API answers 403.
  await page.setExtraHTTPHeaders({ "x-forwarded-for": "192.0.2.50" });
  await page.goto("/policies");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText("IP allowlist does not admit your network address")).toBeVisible();
  const refused = await page.request.get("/api/policies", { headers: { Authorization: `Bearer ${token}`, "x-forwarded-for": "192.0.2.50" } });
  expect(refused.status()).toBe(403);
  const allowed = await page.request.get("/api/policies", { headers: { Authorization: `Bearer ${token}`, "x-forwarded-for": "2001:db8::42" } });
  expect(allowed.status()).toBe(200);
});

test("a password policy from its template: field errors in the form, then its rule enforced on a password change", async ({ page }) => {
  await signedInAdmin(page);
  await page.goto("/policies/new?template=password");
  // The browser knows the limits from the schema: out of range, the form is not sent.
  const minLength = page.getByLabel("Minimum length");
  await expect(page.getByText("From 8 to 128.")).toBeVisible();
  await minLength.fill("4");
  await page.getByRole("button", { name: "Create policy" }).click();
  expect(await minLength.evaluate((input: HTMLInputElement) => input.validity.rangeUnderflow)).toBe(true);
  await expect(page).toHaveURL(/template=password$/);
  await minLength.fill("24");
  await page.getByRole("button", { name: "Create policy" }).click();
  await expect(page.getByRole("list", { name: "Rules" }).getByText("Minimum length 24", { exact: true })).toBeVisible();

  // Editing the settings regenerates the rules.
  await page.getByRole("link", { name: "Edit" }).click();
  await page.getByLabel("Minimum length").fill("20");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("list", { name: "Rules" }).getByText("Minimum length 20", { exact: true })).toBeVisible();

  await page.goto("/settings/account");
  await expect(page.getByText("At least 20 characters.")).toBeVisible();
});

test("login attempt limits from a policy: its lockout is what a locked-out browser is told", async ({ page, browser }) => {
  const { user } = await signedInAdmin(page);
  const token = await createToken(user.email);
  const created = await page.request.post("/api/policies", {
    headers: { Authorization: `Bearer ${token}` },
    data: { kind: "login_limits", settings: { maxFailures: 3, windowMinutes: 10, lockoutMinutes: 45 } },
  });
  expect(created.status()).toBe(201);

  const attacker = await browser.newPage();
  await attacker.setExtraHTTPHeaders({ "x-forwarded-for": "192.0.2.77" });
  for (let attempt = 0; attempt < 3; attempt++) {
    await enterPassword(attacker, user, `wrong password ${attempt}`);
    await expect(attacker.getByText("Invalid email or password.")).toBeVisible();
  }
  await enterPassword(attacker, user);
  await expect(attacker.getByText(/^Too many attempts\. Try again in 4[45] minutes\.$/)).toBeVisible();
  await attacker.close();
});

test("a console page left open notices that its session is over, at the session timeout policy's deadline", async ({ page, browser }) => {
  const { user, authenticator } = await signedInAdmin(page);
  const token = await createToken(user.email);
  const created = await page.request.post("/api/policies", { headers: { Authorization: `Bearer ${token}` }, data: { kind: "session_timeout", settings: { idleMinutes: 10 } } });
  expect(created.status()).toBe(201);

  const open = await browser.newPage();
  await open.clock.install();
  await signIn(open, user, authenticator);
  await open.goto("/policies");
  // Signing out elsewhere ends every session of the account; the open page has not been told.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  // At the idle deadline the page asks, learns the session is over, and goes to sign-in with the reason.
  await open.clock.fastForward("10:05");
  await expect(open).toHaveURL(/\/login\?session=expired$/);
  await expect(open.getByText("Your session ended")).toBeVisible();
  await open.close();
});
