import { expect, test, type Page } from "@playwright/test";
import { enterPassword, signOut } from "./console-helpers";
import { Authenticator, createUser, type E2eUser } from "./helpers";

/**
 * Chromium's virtual authenticator (the DevTools Protocol's WebAuthn domain): a platform authenticator with
 * resident keys and user verification, which answers every prompt at once, as a user touching the sensor would.
 */
async function virtualAuthenticator(page: Page) {
  const client = await page.context().newCDPSession(page);
  await client.send("WebAuthn.enable");
  const { authenticatorId } = await client.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return {
    /** Whether the next prompts verify the user (a fingerprint that matches, or not). */
    setUserVerified: (isUserVerified: boolean) => client.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified }),
    credentials: async () => (await client.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
  };
}

/** Signs a new user in for the first time and enrols a passkey, the first choice the enrolment page offers. */
async function enrolPasskey(page: Page, user: E2eUser, name = "Laptop") {
  await enterPassword(page, user);
  await expect(page).toHaveURL(/\/mfa\/enroll$/);
  await expect(page.getByRole("heading", { name: "Recommended: a passkey" })).toBeVisible();
  await page.getByLabel("Name this passkey").fill(name);
  await page.getByRole("button", { name: "Create a passkey" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  await page.getByRole("link", { name: "I have saved them, continue" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
}

/** An error on the page (not Next's route announcer, which is an alert too). */
const alert = (page: Page, text: string) => page.getByRole("alert").filter({ hasText: text });

const overview = (page: Page) => expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();

test("a passkey: enrolled first, then the second step after the password, sign-in alone, the TOTP fallback, and removal", async ({ page }) => {
  const authenticator = await virtualAuthenticator(page);
  const user = await createUser("admin");
  await enrolPasskey(page, user);
  expect(await authenticator.credentials()).toHaveLength(1);

  // After the password, the passkey is asked for.
  await signOut(page);
  await enterPassword(page, user);
  await expect(page.getByRole("heading", { name: "Two-factor authentication" })).toBeVisible();
  await page.getByRole("button", { name: "Use your passkey" }).click();
  await overview(page);

  // Alone: no email, no password.
  await signOut(page);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await overview(page);
  await page.goto("/audit");
  await expect(page.getByText("Signed in with passkey", { exact: true }).first()).toBeVisible();
  await expect(page.getByText("Signed in with password and passkey", { exact: true }).first()).toBeVisible();

  // The only second factor stays while MFA is required.
  await page.goto("/settings/account");
  const passkeys = page.getByRole("region", { name: "Passkeys" });
  await expect(passkeys.getByRole("row")).toHaveCount(2);
  await page.getByRole("button", { name: "Rename passkey Laptop" }).click();
  await page.getByLabel("New name").fill("Work laptop");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(passkeys.getByText("Work laptop", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Remove passkey Work laptop" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove passkey" }).click();
  await expect(alert(page, "this is your only second factor")).toBeVisible();

  // An authenticator app as the fallback, added from a session that signed in with the passkey.
  await page.getByRole("link", { name: "Set up an authenticator app" }).click();
  const app = new Authenticator((await page.getByTestId("totp-secret").textContent())!.trim());
  await page.getByLabel("Enter the 6-digit code the app shows").fill(await app.code());
  await page.getByRole("button", { name: "Turn on the authenticator app" }).click();
  await expect(page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem")).toHaveCount(10);
  await page.getByRole("link", { name: "I have saved them, continue" }).click();
  await overview(page);

  await signOut(page);
  await enterPassword(page, user);
  await page.getByRole("button", { name: "Use an authentication code or a recovery code instead" }).click();
  await page.getByLabel("Authentication code").fill(await app.code());
  await page.getByRole("button", { name: "Verify" }).click();
  await overview(page);

  // Now the passkey can go, and it no longer signs in, though the authenticator still holds it.
  await page.goto("/settings/account");
  await page.getByRole("button", { name: "Remove passkey Work laptop" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove passkey" }).click();
  await expect(page.getByRole("region", { name: "Passkeys" })).toHaveCount(0);
  await signOut(page);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(alert(page, "That passkey could not be verified")).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
});

test("a passkey that cannot verify the user is refused", async ({ page }) => {
  const authenticator = await virtualAuthenticator(page);
  const user = await createUser("viewer");
  await enrolPasskey(page, user);
  await signOut(page);

  await authenticator.setUserVerified(false);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(alert(page, "could not verify you")).toBeVisible();
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);

  await enterPassword(page, user);
  await page.getByRole("button", { name: "Use your passkey" }).click();
  await expect(alert(page, "could not verify you")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Two-factor authentication" })).toBeVisible();

  await authenticator.setUserVerified(true);
  await page.getByRole("button", { name: "Use your passkey" }).click();
  await overview(page);
});
