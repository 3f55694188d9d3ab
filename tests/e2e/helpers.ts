import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { expect, type Page } from "@playwright/test";
import { currentTotp } from "@/lib/auth/totp";
import { SERVER_CONDITIONS } from "../../scripts/node-flags";

const exec = promisify(execFile);
export const E2E_DATABASE_URL = "pglite:tests/e2e/.data/pglite";

/** Runs `npm run cli` against the e2e server's database (the running server executes it). */
export async function cli(args: string[], stdin?: string): Promise<string> {
  const child = exec("node_modules/.bin/tsx", [...SERVER_CONDITIONS, "scripts/cli.ts", ...args], {
    env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL },
  });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  const { stdout } = await child;
  return stdout;
}

export interface E2eUser {
  email: string;
  password: string;
  org: string;
}

/** A new organization with one user: every test gets its own. */
export async function createUser(role: "admin" | "viewer" = "admin", org = `e2e-${randomBytes(4).toString("hex")}`): Promise<E2eUser> {
  const user = { email: `${role}-${randomBytes(4).toString("hex")}@example.test`, password: `pw-${randomBytes(9).toString("base64url")}`, org };
  await cli(["user", "create", "--email", user.email, "--password", "-", "--role", role, "--org", org], user.password);
  return user;
}

export async function createToken(email: string): Promise<string> {
  const stdout = await cli(["token", "create", "--email", email, "--name", "e2e"]);
  return stdout.trimEnd().split("\n").at(-1)!;
}

/**
 * An authenticator app for tests. The server accepts each 30-second step once and tolerates one step of
 * drift, so each code comes from a later step than the last one used, waiting for the clock when needed.
 */
export class Authenticator {
  private lastStep = -1;
  constructor(readonly secret: string) {}

  async code(): Promise<string> {
    const stepOf = (ms: number) => Math.floor(ms / 30_000);
    while (stepOf(Date.now()) + 1 <= this.lastStep) await new Promise((resolve) => setTimeout(resolve, 1000));
    const step = Math.max(stepOf(Date.now()), this.lastStep + 1);
    this.lastStep = step;
    return currentTotp(this.secret, step * 30_000);
  }
}

/**
 * Signs a new user in for the first time. "MFA Required" starts enabled, so this also enrols TOTP and
 * returns the secret (and the recovery codes) for later sign-ins.
 */
export async function signInFirstTime(page: Page, user: E2eUser): Promise<{ authenticator: Authenticator; recoveryCodes: string[] }> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/mfa\/enroll$/);
  const authenticator = new Authenticator((await page.getByTestId("totp-secret").textContent())!.trim());
  // A passkey is offered first; the authenticator app is the fallback.
  await page.getByText("Use an authenticator app instead").click();
  await page.getByLabel("Enter the 6-digit code the app shows").fill(await authenticator.code());
  await page.getByRole("button", { name: "Turn on the authenticator app" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  const recoveryCodes = (await codes.allTextContents()).map((code) => code.trim());
  await page.getByRole("link", { name: "I have saved them, continue" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  return { authenticator, recoveryCodes };
}

/** Signs in with the password and, when an authenticator is given, its next code. */
export async function signIn(page: Page, user: E2eUser, authenticator?: Authenticator): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  if (authenticator) {
    await page.getByLabel("Authentication code").fill(await authenticator.code());
    await page.getByRole("button", { name: "Verify" }).click();
  }
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
}

/** Collects every Content-Security-Policy violation, and every uncaught error, on this page across navigations. */
export async function watchForViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => violations.push(`${page.url()}: uncaught ${error.message}`));
  // Runs before any page script, and CSP does not apply to it; it reports what the console may word differently.
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
    });
  });
  return violations;
}
