import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { auditRows, captureServerAction, enterPassword, signedInAdmin, type CapturedAction } from "./console-helpers";
import { createUser, signIn, signInFirstTime } from "./helpers";

test("an admin creates a user, changes their role, disables and re-enables them, and resets their MFA, each at once and audited", async ({ page, browser }) => {
  test.slow();
  const { user: admin } = await signedInAdmin(page);
  const member = { email: `member-${randomBytes(4).toString("hex")}@example.test`, password: `pw-${randomBytes(9).toString("base64url")}`, org: admin.org };

  await page.goto("/settings/users");
  await expect(page).toHaveTitle("Users · Settings · Palisade");
  const self = page.getByTestId("user-row").filter({ hasText: admin.email });
  await expect(self).toContainText("(you)");
  await expect(self.getByRole("button")).toHaveCount(0);

  await page.getByLabel("Email").fill(member.email);
  await page.getByLabel("Role").selectOption("viewer");
  await page.getByLabel("Initial password").fill(member.password);
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByText(`Created viewer ${member.email}`)).toBeVisible();
  const row = page.getByTestId("user-row").filter({ hasText: member.email });
  await expect(row).toContainText("Viewer");
  await expect(row).toContainText("Never");

  const memberContext = await browser.newContext();
  const memberPage = await memberContext.newPage();
  const { authenticator } = await signInFirstTime(memberPage, member);
  await expect(memberPage.getByRole("link", { name: "Users" })).toHaveCount(0);
  await memberPage.goto("/settings/users");
  await expect(memberPage).toHaveURL(/\/$/);

  // Promoted: their open session has admin rights on its next request.
  await row.getByRole("button", { name: `Make admin: ${member.email}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Make admin" }).click();
  await expect(row).toContainText("Admin");
  await memberPage.reload();
  await expect(memberPage.getByRole("link", { name: "Users" })).toBeVisible();

  // Disabled: their session ends at once, and they cannot sign in.
  await row.getByRole("button", { name: `Disable: ${member.email}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Disable user" }).click();
  await expect(row).toContainText("Disabled");
  await memberPage.goto("/policies");
  await expect(memberPage).toHaveURL(/\/login/);
  await enterPassword(memberPage, member);
  await expect(memberPage.getByText("Invalid email or password.")).toBeVisible();

  await row.getByRole("button", { name: `Enable: ${member.email}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Enable user" }).click();
  await expect(row).toContainText("Active");
  await signIn(memberPage, member, authenticator);

  // MFA reset: the session ends, and the next sign-in enrols a new authenticator.
  await row.getByRole("button", { name: `Reset MFA: ${member.email}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Reset MFA" }).click();
  await expect(row).toContainText("Not enrolled");
  await memberPage.reload();
  await expect(memberPage).toHaveURL(/\/login/);
  await enterPassword(memberPage, member);
  await expect(memberPage).toHaveURL(/\/mfa\/enroll$/);
  await memberContext.close();

  await page.goto(`/audit?user_email=${encodeURIComponent(admin.email)}`);
  const rows = auditRows(page);
  for (const details of [
    `Created viewer ${member.email}`,
    `Changed the role of ${member.email} from viewer to admin`,
    `Disabled ${member.email}`,
    `Enabled ${member.email}`,
    `Reset MFA for ${member.email}`,
  ]) {
    await expect(rows.filter({ hasText: details })).toHaveCount(1);
  }
});

test("the server refuses an admin's own demotion even when the page is bypassed", async ({ page }) => {
  const { user: admin } = await signedInAdmin(page);
  const second = await createUser("admin", admin.org);
  await page.goto("/settings/users");
  await expect(page.getByTestId("user-row").filter({ hasText: admin.email }).getByRole("button")).toHaveCount(0);

  let demoteCall: CapturedAction | null = null;
  page.on("request", (request) => (demoteCall ??= captureServerAction(request)));
  const row = page.getByTestId("user-row").filter({ hasText: second.email });
  await row.getByRole("button", { name: `Make viewer: ${second.email}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Make viewer" }).click();
  await expect(row).toContainText("Viewer");

  // The same action, aimed at the admin's own account: the page offers no such button, the server refuses it.
  const [login] = (await (await page.request.get("/api/audit-logs?action=login&limit=1")).json()) as { user_id: string }[];
  const secondId = /user-[0-9a-f]{16}/.exec(demoteCall!.body)![0];
  const replay = await page.request.post(demoteCall!.url, {
    headers: { ...demoteCall!.headers, origin: new URL(demoteCall!.url).origin },
    data: demoteCall!.body.replace(secondId, login!.user_id),
  });
  expect(await replay.text()).toContain("You cannot remove your own admin role. Ask another admin.");
  await page.reload();
  await expect(page.getByTestId("user-row").filter({ hasText: admin.email })).toContainText("Admin");
  await page.goto("/audit?action=update_user_role&success=false");
  await expect(auditRows(page)).toHaveCount(1);
});
