import { expect, test } from "@playwright/test";
import postgres from "postgres";
import { signedInAdmin } from "./console-helpers";
import { signInFirstTime } from "./helpers";
import { throwawayInstance } from "./instances";

test("the audit page shows the chain verified, and an admin signs a checkpoint that the banner then names", async ({ page }) => {
  await signedInAdmin(page);
  await page.goto("/audit");
  const chain = page.getByRole("region", { name: "Audit chain" });
  await expect(chain.getByRole("status").first()).toContainText(/Verified: \d+ entries, no checkpoint signed yet/);

  await chain.getByRole("button", { name: "Sign a checkpoint now" }).click();
  await expect(chain.getByText(/Signed a checkpoint at position \d+/)).toBeVisible();
  await expect(chain).toContainText(/Verified up to checkpoint 1 \(position \d+\) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);

  await chain.getByRole("button", { name: "Verify now" }).click();
  await expect(chain.getByText(/Verified \d+ entries/)).toBeVisible();
  // The checkpoint is in the log itself, for the SIEM stream and exports.
  await expect(page.getByRole("table")).toContainText("sign_audit_checkpoint");
});

const PORT = Number(process.env.E2E_PORT ?? 3100) + 51;

/** On PostgreSQL of its own, so the test can edit the audit log by SQL behind the running server's back. */
test.describe("tampering by SQL", () => {
  const startCluster = throwawayInstance({ port: PORT });
  test.use({ baseURL: `http://localhost:${PORT}` });

  test("the banner goes from verified to broken at the edited row's position", async ({ page }) => {
    const { cluster, instance } = await startCluster();
    const user = { email: "chain@tamper.test", password: "correct horse battery", org: "Tamper" };
    await instance.cli("user", "create", "--email", user.email, "--password", user.password, "--role", "admin", "--org", user.org);
    await signInFirstTime(page, user);
    await page.goto("/audit");
    const chain = page.getByRole("region", { name: "Audit chain" });
    await expect(chain).toContainText(/Verified: \d+ entries/);

    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
    try {
      await sql`update audit_logs set details = 'nothing happened' where chain_position = 2 and org_id = (select id from organizations where name = 'Tamper')`;
    } finally {
      await sql.end();
    }
    await chain.getByRole("button", { name: "Verify now" }).click();
    await expect(chain.getByText("Chain broken at position 2: edited").first()).toBeVisible();
    await page.reload();
    await expect(page.getByRole("region", { name: "Audit chain" }).getByRole("alert")).toContainText("Chain broken at position 2: edited");
  });
});
