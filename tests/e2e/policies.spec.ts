import { expect, test, type Page } from "@playwright/test";
import { auditRows, captureServerAction, expectSwitchSettled, signedInAdmin, type CapturedAction } from "./console-helpers";
import { createToken, createUser, signInFirstTime } from "./helpers";

const rulesOf = (page: Page) => page.getByRole("list", { name: "Rules", exact: true }).getByRole("listitem");

test("turning pol-mfa-required off and on asks for confirmation, warns, and both changes are in the audit log", async ({ page }) => {
  const { user } = await signedInAdmin(page);
  await page.goto("/policies");
  await expect(page).toHaveTitle("Security policies · Palisade");
  const mfa = page.getByRole("switch", { name: "MFA Required" });
  await expect(mfa).toHaveAttribute("aria-checked", "true");

  // Cancelling changes nothing.
  await mfa.click();
  const disableDialog = page.getByRole("dialog", { name: "Disable MFA Required?" });
  await expect(disableDialog).toContainText("Disabling the MFA requirement is not recommended.");
  await expect(disableDialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(disableDialog).toBeHidden();
  await expect(mfa).toHaveAttribute("aria-checked", "true");

  // The switch works from the keyboard.
  await mfa.focus();
  await page.keyboard.press("Space");
  await disableDialog.getByRole("button", { name: "Disable MFA Required" }).click();
  await expectSwitchSettled(mfa, false);

  // The overview warns, names the policy and links to it.
  await page.goto("/");
  const warning = page.getByRole("alert").filter({ hasText: "critical policy is not enforced" });
  await expect(warning).toContainText("MFA Required is disabled. It protects against credential theft.");
  await warning.getByRole("link", { name: "MFA Required" }).click();
  await expect(page).toHaveURL(/\/policies\/pol-mfa-required$/);
  await expect(page).toHaveTitle("MFA Required · Policies · Palisade");

  await page.getByRole("switch", { name: "MFA Required" }).click();
  await page.getByRole("dialog", { name: "Enable MFA Required?" }).getByRole("button", { name: "Enable MFA Required" }).click();
  await expectSwitchSettled(page.getByRole("switch", { name: "MFA Required" }), true);
  await page.goto("/");
  await expect(page.getByText("critical policy is not enforced")).toHaveCount(0);

  await page.goto("/audit?action=toggle_policy");
  const rows = auditRows(page);
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText("Policy enabled");
  await expect(rows.nth(1)).toContainText("Policy disabled");
  for (const row of [rows.nth(0), rows.nth(1)]) {
    await expect(row).toContainText("policy:pol-mfa-required");
    await expect(row).toContainText(user.email);
  }
  // The before/after view marks the one field that changed.
  await rows.nth(0).getByText("Before / after").click();
  await expect(rows.nth(0).locator("tr[data-changed]")).toHaveCount(1);
  await expect(rows.nth(0).locator("tr[data-changed]")).toContainText("enabled");
});

test("a viewer sees policies without any write control, and the server refuses their toggle anyway", async ({ page, browser }) => {
  const admin = await createUser("admin");
  const viewer = await createUser("viewer", admin.org);

  // The admin turns Zero Trust off and on again; the first call is what the viewer will try to replay.
  await signInFirstTime(page, admin);
  await page.goto("/policies");
  let disableCall: CapturedAction | null = null;
  page.on("request", (request) => (disableCall ??= captureServerAction(request)));
  const zeroTrust = page.getByRole("switch", { name: "Zero Trust Network" });
  for (const [verb, checked] of [["Disable", false], ["Enable", true]] as const) {
    await zeroTrust.click();
    await page.getByRole("button", { name: `${verb} Zero Trust Network` }).click();
    await expectSwitchSettled(zeroTrust, checked);
  }
  expect(disableCall).not.toBeNull();
  expect(disableCall!.body).toContain("pol-network-zero-trust");

  const viewerContext = await browser.newContext();
  const viewerPage = await viewerContext.newPage();
  await signInFirstTime(viewerPage, viewer);
  await viewerPage.goto("/policies");
  await expect(viewerPage.getByText("You have read-only access")).toBeVisible();
  await expect(viewerPage.getByTestId("policy-card")).toHaveCount(3);
  await expect(viewerPage.getByRole("switch")).toHaveCount(0);
  await expect(viewerPage.getByRole("link", { name: "New policy" })).toHaveCount(0);
  await expect(viewerPage.getByRole("link", { name: /^Edit/ })).toHaveCount(0);
  await viewerPage.goto("/policies/pol-network-zero-trust");
  await expect(viewerPage.getByRole("heading", { name: "Zero Trust Network" })).toBeVisible();
  await expect(viewerPage.getByRole("switch")).toHaveCount(0);
  await expect(viewerPage.getByRole("button", { name: "Delete" })).toHaveCount(0);
  await viewerPage.goto("/policies/new");
  await expect(viewerPage).toHaveURL(/\/$/);

  // The same server action, sent with the viewer's session: refused, and nothing changes.
  const replay = await viewerPage.request.post(disableCall!.url, {
    headers: { ...disableCall!.headers, origin: new URL(disableCall!.url).origin },
    data: disableCall!.body,
  });
  expect(await replay.text()).toContain("Not authorized: only admins can do this.");
  const adminToken = await createToken(admin.email);
  const policy = await viewerPage.request.get("/api/policies/pol-network-zero-trust", { headers: { Authorization: `Bearer ${adminToken}` } });
  expect(await policy.json()).toMatchObject({ enabled: true });
  const toggles = await viewerPage.request.get("/api/audit-logs?action=toggle_policy", { headers: { Authorization: `Bearer ${adminToken}` } });
  // The admin's two toggles, and the viewer's refused attempt, audited as a failure.
  expect(((await toggles.json()) as { user_email: string; success: boolean; details: string }[]).map(({ user_email, success, details }) => [user_email, success, details])).toEqual([
    [viewer.email, false, "Refused: the viewer role cannot do this"],
    [admin.email, true, "Policy enabled"],
    [admin.email, true, "Policy disabled"],
  ]);
  await viewerContext.close();
});

test("creating, editing (rules added, removed, reordered) and deleting a custom policy", async ({ page }) => {
  await signedInAdmin(page);
  await page.goto("/policies");
  await page.getByRole("link", { name: "New policy" }).click();
  await expect(page).toHaveTitle("New policy · Policies · Palisade");
  await page.getByLabel("Name").fill("Block USB storage");
  await page.getByLabel("Description").fill("No removable mass storage on managed laptops");
  await page.getByLabel("Type").selectOption("access");
  await page.getByRole("textbox", { name: "Rule 1", exact: true }).fill("Deny mass storage devices");
  await page.getByRole("button", { name: "Add rule" }).click();
  // The new rule's field has the focus, so typing goes straight into it.
  await expect(page.getByRole("textbox", { name: "Rule 2", exact: true })).toBeFocused();
  await page.keyboard.type("Allow HID keyboards");
  await page.getByRole("button", { name: "Add rule" }).click();
  await page.keyboard.type("Log every attempt");
  await page.getByRole("button", { name: "Create policy" }).click();

  await expect(page).toHaveURL(/\/policies\/pol-block-usb-storage-[0-9a-f]{6}$/);
  await expect(page.getByRole("heading", { name: "Block USB storage" })).toBeVisible();
  await expect(rulesOf(page)).toHaveText(["Deny mass storage devices", "Allow HID keyboards", "Log every attempt"]);
  await expect(page.getByRole("switch", { name: "Block USB storage" })).toHaveAttribute("aria-checked", "true");

  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Edit Block USB storage" })).toBeVisible();
  await page.getByRole("button", { name: "Remove rule 2" }).click();
  await page.getByRole("button", { name: "Add rule" }).click();
  await page.keyboard.type("Alert the SOC");
  // Reordering by keyboard: focus stays on the moved rule's button.
  await page.getByRole("button", { name: "Move rule 3 up" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("textbox", { name: "Rule 2", exact: true })).toHaveValue("Alert the SOC");
  await expect(page.getByRole("button", { name: "Move rule 2 up" })).toBeFocused();

  // The server's validation error names the field, and everything typed stays.
  await page.getByLabel("Name").fill("Block USB mass storage");
  await page.getByRole("button", { name: "Add rule" }).click();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Check the highlighted fields.")).toBeVisible();
  const emptyRule = page.getByRole("textbox", { name: "Rule 4", exact: true });
  await expect(emptyRule).toHaveAttribute("aria-invalid", "true");
  await expect(emptyRule).toHaveAccessibleDescription("must not be empty");
  await expect(page.getByLabel("Name")).toHaveValue("Block USB mass storage");
  await expect(page.getByRole("textbox", { name: "Rule 2", exact: true })).toHaveValue("Alert the SOC");
  await page.getByRole("button", { name: "Remove rule 4" }).click();
  await page.getByRole("button", { name: "Save changes" }).click();

  await expect(page.getByRole("heading", { name: "Block USB mass storage" })).toBeVisible();
  await expect(rulesOf(page)).toHaveText(["Deny mass storage devices", "Alert the SOC", "Log every attempt"]);
  const history = auditRows(page);
  await expect(history).toHaveCount(2);
  await expect(history.nth(0)).toContainText("Updated policy \"Block USB mass storage\"");
  await history.nth(0).getByText("Before / after").click();
  await expect(history.nth(0).locator("tr[data-changed] th")).toHaveText([/^name/, /^rules/]);

  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete Block USB mass storage?" });
  await dialog.getByRole("button", { name: "Delete policy" }).click();
  await expect(page).toHaveURL(/\/policies$/);
  await expect(page.getByTestId("policy-card")).toHaveCount(3);
  await expect(page.getByText("Block USB mass storage")).toHaveCount(0);

  await page.goto("/audit?action=delete_policy");
  await expect(auditRows(page)).toHaveCount(1);
  await expect(auditRows(page)).toContainText("Deleted policy \"Block USB mass storage\"");
});

test("deleting a critical default needs its id typed, and the overview then warns; a toggle the server refuses rolls back with the reason", async ({ page }) => {
  const { user } = await signedInAdmin(page);
  await page.goto("/policies/pol-session-recording");
  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete the critical policy Session Recording?" });
  await expect(dialog).toContainText("It is required for compliance and audit trails.");
  const confirm = dialog.getByRole("button", { name: "Delete this critical policy" });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel("Type pol-session-recording to confirm").fill("pol-session-recording");
  await expect(confirm).toBeEnabled();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByRole("heading", { name: "Session Recording" })).toBeVisible();

  // Opened again, the typed confirmation starts empty; once typed, the critical default is deleted.
  await page.getByRole("button", { name: "Delete" }).click();
  await expect(dialog.getByLabel("Type pol-session-recording to confirm")).toHaveValue("");
  await dialog.getByLabel("Type pol-session-recording to confirm").fill("pol-session-recording");
  await confirm.click();
  await expect(page).toHaveURL(/\/policies$/);
  await expect(page.getByTestId("policy-card")).toHaveCount(2);
  await page.goto("/");
  await expect(page.getByRole("alert").filter({ hasText: "critical policy is not enforced" })).toContainText("Session Recording is deleted.");

  // A custom policy is deleted behind the page's back (by the API); its switch then fails and flips back.
  const headers = { Authorization: `Bearer ${await createToken(user.email)}` };
  const created = await page.request.post("/api/policies", { headers, data: { name: "Short-lived", type: "session", rules: ["Expire after 1 hour"] } });
  const { id } = (await created.json()) as { id: string };
  await page.goto(`/policies/${id}`);
  const toggle = page.getByRole("switch", { name: "Short-lived" });
  await expect(toggle).toHaveAttribute("aria-checked", "true");
  expect((await page.request.delete(`/api/policies/${id}`, { headers })).status()).toBe(200);
  await toggle.click();
  await expect(page.getByRole("alert").filter({ hasText: "Could not disable Short-lived: Policy not found" })).toBeVisible();
  await expectSwitchSettled(toggle, true);
});
