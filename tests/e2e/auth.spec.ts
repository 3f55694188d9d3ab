import { expect, test } from "@playwright/test";
import { enterPassword, signOut, signedInAdmin, wrongTotp } from "./console-helpers";
import { createToken, createUser, signIn, signInFirstTime } from "./helpers";

test("signing in and out: signing out ends the session, even for a copy of its cookie", async ({ page, context }) => {
  const { user } = await signedInAdmin(page);
  await expect(page).toHaveTitle("Overview · Palisade");
  expect((await page.request.get("/api/policies")).status()).toBe(200);
  const cookiesBeforeSignOut = await context.cookies();

  await signOut(page);
  await page.goto("/policies");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fpolicies$/);
  expect((await page.request.get("/api/policies")).status()).toBe(401);

  // Someone who copied the cookie before the sign-out gets nothing with it either.
  await context.addCookies(cookiesBeforeSignOut);
  await page.goto("/policies");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Sign in", exact: true })).toBeVisible();
  expect((await page.request.get("/api/policies")).status()).toBe(401);

  const logs = await page.request.get("/api/audit-logs?action=logout", { headers: { Authorization: `Bearer ${await createToken(user.email)}` } });
  expect(await logs.json()).toEqual([expect.objectContaining({ action: "logout", user_email: user.email, success: true })]);
});

test("changing one's password: a wrong current password is refused; a change signs out everywhere, and only the new password signs in", async ({ page, browser }) => {
  const { user, authenticator, recoveryCodes } = await signedInAdmin(page);
  const elsewhere = await browser.newContext();
  const otherPage = await elsewhere.newPage();
  await signIn(otherPage, user, authenticator);

  await page.goto("/settings/account");
  await expect(page).toHaveTitle("Your account · Settings · Palisade");
  const form = page.getByRole("form", { name: "Change your password" });
  const newPassword = `${user.password}-renewed`;
  await form.getByLabel("Current password").fill("not my password");
  await form.getByLabel("New password", { exact: true }).fill(newPassword);
  await form.getByLabel("New password, again").fill(newPassword);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Your current password is not correct.")).toBeVisible();

  await form.getByLabel("Current password").fill(user.password);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page).toHaveURL(/\/login\?password=changed$/);
  await expect(page.getByText("Your password was changed and every session signed out.")).toBeVisible();
  // The session in the other browser ended too.
  await otherPage.goto("/policies");
  await expect(otherPage).toHaveURL(/\/login/);
  await elsewhere.close();

  await enterPassword(page, user);
  await expect(page.getByText("Invalid email or password.")).toBeVisible();
  // A recovery code for the second factor: the authenticator's next code could be up to 30 s away.
  await enterPassword(page, user, newPassword);
  await page.getByLabel("Authentication code").fill(recoveryCodes[0]!);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();

  const logs = await page.request.get("/api/audit-logs?action=change_password", { headers: { Authorization: `Bearer ${await createToken(user.email)}` } });
  expect(((await logs.json()) as { success: boolean }[]).map((entry) => entry.success)).toEqual([true, false]);
});

test("after enrolment every sign-in needs a code: a wrong code is refused, the right one signs in", async ({ page }) => {
  const { user, authenticator } = await signedInAdmin(page);
  await signOut(page);

  await enterPassword(page, user);
  await expect(page.getByRole("heading", { name: "Two-factor authentication" })).toBeVisible();
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);

  await enterPassword(page, user);
  await page.getByLabel("Authentication code").fill(wrongTotp(authenticator.secret));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByText("That code is not valid")).toBeVisible();
  await expect(page).toHaveURL(/\/login/);

  await page.getByLabel("Authentication code").fill(await authenticator.code());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
});

test("a recovery code signs in once and not twice, and its use is audited", async ({ page }) => {
  const { user, authenticator, recoveryCodes } = await signedInAdmin(page);
  const [code] = recoveryCodes;
  await signOut(page);

  await enterPassword(page, user);
  await page.getByLabel("Authentication code").fill(code!);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await signOut(page);

  await enterPassword(page, user);
  await page.getByLabel("Authentication code").fill(code!);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByText("That code is not valid")).toBeVisible();

  await page.getByLabel("Authentication code").fill(await authenticator.code());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await page.goto("/audit?action=mfa_recovery_code_used");
  const rows = page.getByTestId("audit-row");
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText("Signed in with a recovery code; 9 left");
  await expect(rows).toContainText(user.email);
});

test.describe("login throttling", () => {
  // The e2e server runs as if behind one proxy (TRUSTED_PROXIES=1), so X-Forwarded-For names the client. These
  // failures come from addresses of their own, or they would throttle every other test's sign-ins.
  test("10 failures from one address refuse it, even the right password, while the owner at their usual address still signs in", async ({ browser }) => {
    const user = await createUser("admin");
    const usual = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": "198.51.100.8" } });
    const owner = await usual.newPage();
    const { authenticator } = await signInFirstTime(owner, user);
    await signOut(owner);

    const attacker = await (await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": "198.51.100.7" } })).newPage();
    for (let attempt = 1; attempt <= 10; attempt++) {
      await enterPassword(attacker, user, `wrong password ${attempt}`);
      await expect(attacker.getByText("Invalid email or password.")).toBeVisible();
    }
    for (let refusal = 1; refusal <= 3; refusal++) {
      await enterPassword(attacker, user);
      await expect(attacker.getByText(/^Too many attempts\. Try again in 1[45] minutes\.$/)).toBeVisible();
    }

    // The account is not locked: its owner, at the address they sign in from, gets in.
    await signIn(owner, user, authenticator);

    const logs = await owner.request.get("/api/audit-logs?action=login_failed", { headers: { Authorization: `Bearer ${await createToken(user.email)}` } });
    const failures = ((await logs.json()) as { details: string; success: boolean; ip: string }[]).filter((entry) => entry.ip === "198.51.100.7");
    // Three refusals, one audit row: the rest are counted and summarized when the throttle lifts.
    expect(failures.map((entry) => entry.details.replace(/until \S+;/, "until …;"))).toEqual([
      "Refused: too many failed attempts on this account from this address until …; further refusals are counted and summarized",
      ...Array(10).fill("Wrong password"),
    ]);
    expect(failures.every((entry) => !entry.success)).toBe(true);
  });
});
