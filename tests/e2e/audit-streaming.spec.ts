import { expect, test } from "@playwright/test";
import { signatureVerifies, TestReceiver } from "../siem-receiver";
import { signedInAdmin } from "./console-helpers";
import { createToken } from "./helpers";

// The e2e server runs with WEBHOOK_ALLOW_PRIVATE=true (playwright.config.ts), as an on-premises SIEM would need, so
// that it may reach this receiver on 127.0.0.1.
const SECRET = "e2e-shared-secret-0123456789abcdef";

test("audit streaming: a destination added in the console receives the organization's audit rows, signed, in chain order; failures show", async ({ page }) => {
  const receiver = await new TestReceiver().start();
  try {
    const { user } = await signedInAdmin(page);
    await page.goto("/settings/audit-streaming");
    await expect(page).toHaveTitle("Audit streaming · Settings · Palisade");
    await expect(page.getByText("No destinations yet")).toBeVisible();

    const form = page.getByRole("form", { name: "Add a destination" });
    await form.getByLabel("URL").fill(receiver.url());
    await form.getByLabel("Secret").fill(SECRET);
    await form.getByLabel("Actions").fill("toggle_policy, nope");
    await form.getByRole("button", { name: "Add destination" }).click();
    await expect(form.getByText("nope is not a known audit action")).toBeVisible();
    await form.getByLabel("Actions").fill("toggle_policy, update_audit_destination");
    await form.getByLabel("Secret").fill(SECRET);
    await form.getByRole("button", { name: "Add destination" }).click();
    const row = page.getByTestId("destination-row");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("toggle_policy, update_audit_destination");
    await expect(row).toContainText("Enabled");
    await expect(page.locator("body")).not.toContainText(SECRET);

    // Two toggles through the API: both arrive, in chain order, signed.
    const token = await createToken(user.email);
    for (let turn = 0; turn < 2; turn++) {
      const toggled = await page.request.patch("/api/policies/pol-network-zero-trust", { headers: { Authorization: `Bearer ${token}` } });
      expect(toggled.status()).toBe(200);
    }
    await expect.poll(() => receiver.accepted().length, { timeout: 20_000 }).toBe(2);
    const [first, second] = receiver.accepted();
    expect([first!.body.action, second!.body.action]).toEqual(["toggle_policy", "toggle_policy"]);
    expect(second!.body.chain_position).toBeGreaterThan(first!.body.chain_position);
    for (const request of receiver.accepted()) expect(signatureVerifies(request.raw, request.headers["x-palisade-signature"], SECRET)).toBe(true);
    await expect(async () => {
      await page.reload();
      await expect(row).not.toContainText("Never", { timeout: 1000 });
    }).toPass();

    // The receiver fails: the console shows the last error.
    receiver.answer = () => 503;
    await page.request.patch("/api/policies/pol-network-zero-trust", { headers: { Authorization: `Bearer ${token}` } });
    await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBeGreaterThan(2);
    await expect(async () => {
      await page.reload();
      await expect(row.getByTestId("destination-last-error")).toHaveText("HTTP 503", { timeout: 1000 });
    }).toPass();
    await expect(row).toContainText("1 pending");

    // The receiver is back: the row is retried (backoff up to 10 s, then 20 s) and delivered.
    receiver.answer = () => 200;
    await expect.poll(() => receiver.accepted().length, { timeout: 45_000 }).toBe(3);
    expect(receiver.accepted()[2]!.body.chain_position).toBeGreaterThan(second!.body.chain_position);

    // A disabled destination receives nothing.
    await row.getByRole("button", { name: `Disable ${receiver.url()}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Disable" }).click();
    await expect(row).toContainText("Disabled");
    await page.request.patch("/api/policies/pol-network-zero-trust", { headers: { Authorization: `Bearer ${token}` } });
    await page.waitForTimeout(4000);
    expect(receiver.received.filter((request) => request.status === 200)).toHaveLength(3);
    await page.reload();
    await expect(row).toContainText("0 pending");

    await row.getByRole("button", { name: `Delete ${receiver.url()}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete destination" }).click();
    await expect(page.getByText("No destinations yet")).toBeVisible();
  } finally {
    await receiver.stop();
  }
});
