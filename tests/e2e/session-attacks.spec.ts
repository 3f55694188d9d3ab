import { expect, test, type APIResponse, type Page } from "@playwright/test";
import { enterPassword, signedInAdmin, signOut } from "./console-helpers";
import { createToken, createUser, signIn, signInFirstTime } from "./helpers";

// Attacks an outside review ran against sign-in and sessions, replayed as the attacker would: each must fail.

/** Refreshes the page's session through Auth.js's own update endpoint, as any client may. */
async function refreshSession(page: Page): Promise<APIResponse> {
  const { csrfToken } = (await (await page.request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  return page.request.post("/api/auth/session", { data: { csrfToken, data: {} } });
}

/** Whether a response hands the browser a (non-empty) session cookie. */
function setsSessionCookie(response: APIResponse): boolean {
  return response
    .headersArray()
    .filter(({ name }) => name.toLowerCase() === "set-cookie")
    .some(({ value }) => /palisade\.session=[^;]+/.test(value));
}

async function auditDetails(page: Page, email: string, action: string): Promise<string[]> {
  const response = await page.request.get(`/api/audit-logs?action=${action}`, { headers: { Authorization: `Bearer ${await createToken(email)}` } });
  return ((await response.json()) as { details: string }[]).map((entry) => entry.details);
}

test("someone with only the password cannot ride the real user's MFA enrolment", async ({ browser }) => {
  const user = await createUser("admin");
  const attacker = await (await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": "203.0.113.66" } })).newPage();
  await enterPassword(attacker, user);
  await expect(attacker).toHaveURL(/\/mfa\/enroll$/);
  const attackerSeed = (await attacker.getByTestId("totp-secret").textContent())!.trim();

  // The real user signs in elsewhere and enrols: their seed is their session's own, not the one the attacker saw.
  const victim = await (await browser.newContext()).newPage();
  const { authenticator } = await signInFirstTime(victim, user);
  expect(authenticator.secret).not.toBe(attackerSeed);

  // The attacker refreshes its session, hoping to be promoted now that the account has MFA: it is ended instead.
  const refreshed = await refreshSession(attacker);
  expect(await refreshed.json()).toBeNull();
  expect(setsSessionCookie(refreshed)).toBe(false);
  expect((await attacker.request.get("/api/policies")).status()).toBe(401);
  await attacker.goto("/");
  await expect(attacker).toHaveURL(/\/login/);
  await attacker.goto("/mfa/enroll");
  await expect(attacker).toHaveURL(/\/login/);

  // The session that enrolled, and only it, carries on.
  await victim.goto("/policies");
  await expect(victim.getByRole("heading", { name: "Security policies", level: 1 })).toBeVisible();
  expect((await victim.request.get("/api/policies")).status()).toBe(200);
  expect(await auditDetails(victim, user.email, "login")).toEqual(["Signed in with password; MFA enrolment required", "Signed in with password; MFA enrolment required"]);
  expect(await auditDetails(victim, user.email, "mfa_enroll")).toEqual(["Enrolled a TOTP authenticator and 10 recovery codes; every other session ended"]);
});

test("a copy of an ended session's cookie can neither be refreshed nor sign the user out again", async ({ page, context, browser }) => {
  const { user, authenticator } = await signedInAdmin(page);
  const stolen = await context.cookies();
  await signOut(page);
  await signIn(page, user, authenticator);

  const thief = await browser.newContext();
  await thief.addCookies(stolen);
  const thiefPage = await thief.newPage();
  const session = await thiefPage.request.get("/api/auth/session");
  expect(await session.json()).toBeNull();
  expect(setsSessionCookie(session)).toBe(false);

  const { csrfToken } = (await (await thiefPage.request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  await thiefPage.request.post("/api/auth/signout", { form: { csrfToken } });

  // The owner's new session is untouched, and the only logout on record is the owner's own.
  expect((await page.request.get("/api/policies")).status()).toBe(200);
  await page.goto("/policies");
  await expect(page.getByRole("heading", { name: "Security policies", level: 1 })).toBeVisible();
  expect(await auditDetails(page, user.email, "logout")).toEqual(["Signed out"]);
});

test("after sign-in only paths of this app are followed: a tab-split '//' callbackUrl lands on the overview", async ({ page }) => {
  const user = await createUser("admin");
  const { authenticator } = await signInFirstTime(page, user);
  await signOut(page);
  // The reviewer's case: Chromium strips the tab, so "/\t/evil.example/" would become "//evil.example/".
  await page.goto("/login?callbackUrl=%2F%09%2Fevil.example%2F");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByLabel("Authentication code").fill(await authenticator.code());
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  expect(new URL(page.url()).origin).toBe(new URL(test.info().project.use.baseURL!).origin);
});
