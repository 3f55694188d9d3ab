import { expect, type Locator, type Page, type Request } from "@playwright/test";
import { currentTotp } from "@/lib/auth/totp";
import { createUser, signInFirstTime, type E2eUser } from "./helpers";

/** A new organization with a signed-in admin (MFA enrolled). */
export async function signedInAdmin(page: Page) {
  const user = await createUser("admin");
  const { authenticator, recoveryCodes } = await signInFirstTime(page, user);
  return { user, authenticator, recoveryCodes };
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** Submits the password step of the sign-in form. */
export async function enterPassword(page: Page, user: E2eUser, password = user.password): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** A 6-digit code that no clock drift the server tolerates makes valid for this secret. */
export function wrongTotp(secret: string): string {
  const now = Date.now();
  const valid = new Set([-30_000, 0, 30_000].map((offset) => currentTotp(secret, now + offset)));
  let candidate = (Number(currentTotp(secret, now)) + 500_000) % 1_000_000;
  while (valid.has(String(candidate).padStart(6, "0"))) candidate = (candidate + 1) % 1_000_000;
  return String(candidate).padStart(6, "0");
}

/** The rows of the audit table on the page. */
export function auditRows(page: Page) {
  return page.getByTestId("audit-row");
}

/** A server action call as the browser sent it, to replay from another session. */
export interface CapturedAction {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function captureServerAction(request: Request): CapturedAction | null {
  const headers = request.headers();
  if (request.method() !== "POST" || !headers["next-action"]) return null;
  const keep = ["next-action", "content-type", "accept", "next-router-state-tree"];
  return { url: request.url(), headers: Object.fromEntries(keep.filter((name) => headers[name]).map((name) => [name, headers[name]!])), body: request.postData() ?? "" };
}

/** A policy switch shows `checked` and the server has answered (it flips optimistically, before the answer). */
export async function expectSwitchSettled(toggle: Locator, checked: boolean): Promise<void> {
  await expect(toggle).toHaveAttribute("aria-checked", String(checked));
  await expect(toggle).toHaveAttribute("aria-busy", "false");
  await expect(toggle).toHaveAttribute("aria-checked", String(checked));
}
