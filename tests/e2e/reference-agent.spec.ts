import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createUser, signInFirstTime } from "./helpers";

/** The reference agent as an agent author would run it, with its output collected for the test to read. */
class ReferenceAgent {
  readonly process: ChildProcess;
  private output = "";

  constructor(server: string, enrollmentKey: string, stateFile: string) {
    this.process = spawn("node_modules/.bin/tsx", ["agent/palisade-agent.ts", "--server", server, "--enroll", enrollmentKey, "--hostname", "ref-agent-1", "--state", stateFile], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.process.stdout!, this.process.stderr!]) stream.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
  }

  get log(): string {
    return this.output;
  }

  exitCode(): Promise<number | null> {
    return new Promise((resolve) => (this.process.exitCode !== null ? resolve(this.process.exitCode) : this.process.once("exit", resolve)));
  }
}

test("publish in the console, the reference agent applies it, and the console marks the fleet up to date", async ({ page, baseURL }) => {
  const dir = mkdtempSync(path.join(tmpdir(), "palisade-agent-"));
  const admin = await createUser("admin");
  await signInFirstTime(page, admin);

  await page.goto("/agents/enrollment-keys");
  await page.getByLabel("Uses (optional)").fill("1");
  await page.getByRole("button", { name: "Create enrollment key" }).click();
  const key = (await page.getByTestId("enrollment-key").textContent())!.trim();

  const agent = new ReferenceAgent(baseURL!, key, path.join(dir, "state.json"));
  try {
    await expect.poll(() => agent.log, { timeout: 30_000 }).toContain("starting with no policy yet");

    await page.goto("/agent-policy/publish");
    await page.getByLabel("Name").fill("Block brute force");
    const rule = page.getByRole("group", { name: "Rule 1: Block IP" });
    await rule.getByLabel("Trigger").fill("brute_force");
    await rule.getByLabel("Threshold").fill("20");
    await rule.getByLabel("Duration").selectOption("1h");
    await page.getByRole("button", { name: "Publish v1" }).click();
    await expect(page).toHaveURL(/\/agent-policy\?published=v1/);

    await expect.poll(() => agent.log, { timeout: 15_000 }).toContain('applied v1 "Block brute force": 1 active rule(s) (block_ip)');

    // The agent heartbeats 0-2 s after applying; the panel follows the console's event stream.
    await page.goto("/");
    const panel = page.getByRole("region", { name: "Fleet convergence" });
    await expect(panel.getByText("v1: 1 of 1 online agents up to date")).toBeVisible({ timeout: 15_000 });
    await page.goto("/agents");
    const row = page.getByRole("row", { name: /ref-agent-1/ });
    await expect(row).toContainText("v1");
    await expect(row).not.toContainText("Outdated");

    // Revoked from the API (the console's own revoke flow is tested elsewhere): the agent stops at once.
    const agentId = /agent-[0-9a-f]{8}/.exec(agent.log)![0];
    const revoked = await page.request.delete(`/api/agents/${agentId}`, { headers: { Origin: new URL(baseURL!).origin } });
    expect(revoked.status()).toBe(200);
    expect(await agent.exitCode()).toBe(3);
    expect(agent.log).toContain("this agent was revoked by an admin");
  } finally {
    agent.process.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
