import { expect, test } from "@playwright/test";
import { signedInAdmin } from "./console-helpers";
import { createToken, watchForViolations } from "./helpers";

test("the agent policy page charts convergence over time, with the figures as a table, under the Content-Security-Policy", async ({ page }) => {
  const violations = await watchForViolations(page);
  const { user } = await signedInAdmin(page);
  const headers = { Authorization: `Bearer ${await createToken(user.email)}` };
  const rules = [{ type: "block_ip", config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" } }];
  expect((await page.request.post("/api/policy", { headers, data: { name: "Baseline", rules } })).status()).toBe(201);
  for (const hostname of ["web-1", "web-2"]) {
    const key = await page.request.post("/api/agents/enrollment-keys", { headers, data: { uses: 1 } });
    const enrollmentKey = ((await key.json()) as { data: { key: string } }).data.key;
    const enrolled = await page.request.post("/api/agents/enroll", { data: { enrollmentKey, hostname } });
    const agentToken = ((await enrolled.json()) as { data: { token: string } }).data.token;
    await page.request.post("/api/agents/heartbeat", { headers: { Authorization: `Bearer ${agentToken}` }, data: { policyVersion: "v1" } });
  }

  // Heartbeats are written in batches: the figures appear within a second or so.
  await expect
    .poll(
      async () => {
        await page.goto("/agent-policy");
        return page.getByText("Figures as a table").count();
      },
      { timeout: 15_000 },
    )
    .toBe(1);
  await page.getByText("Figures as a table").click();
  await expect(page.getByRole("region", { name: "Convergence figures" }).getByRole("row", { name: /v1 · Baseline/ })).toContainText("v1 · Baseline2");
  const chart = page.getByRole("img", { name: /Agents up to date over time since publish, for v1 \(2 agents\)/ });
  await expect(chart.locator(".recharts-line-curve")).toHaveCount(1);
  expect(violations).toEqual([]);

  // At 390 px the chart fits the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(chart.locator(".recharts-wrapper")).toBeVisible();
  expect((await chart.boundingBox())!.width).toBeLessThanOrEqual(390);
});
