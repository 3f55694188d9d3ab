import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { startTamperingProxy } from "../../scripts/tamper-proxy";
import { createUser, signInFirstTime } from "./helpers";

/** The reference agent as an agent author would run it, with its output collected for the test to read. */
class ReferenceAgent {
  readonly process: ChildProcess;
  private output = "";

  constructor(args: string[]) {
    this.process = spawn("node_modules/.bin/tsx", ["agent/palisade-agent.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
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

  const agent = new ReferenceAgent(["--server", baseURL!, "--enroll", key, "--hostname", "ref-agent-1", "--state", path.join(dir, "state.json")]);
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

test("the reference agent refuses a policy tampered with on the way and reports it, and starts from its saved policy while the server is down", async ({ page, baseURL }) => {
  const dir = mkdtempSync(path.join(tmpdir(), "palisade-agent-"));
  const state = path.join(dir, "state.json");
  const admin = await createUser("admin");
  await signInFirstTime(page, admin);
  const headers = { Origin: new URL(baseURL!).origin };
  const rule = (threshold: number) => ({ type: "block_ip", config: { trigger: "brute_force", threshold, duration: "1h", scope: "host" }, enabled: true });
  const publish = async (name: string, threshold: number) => expect((await page.request.post("/api/policy", { headers, data: { name, rules: [rule(threshold)] } })).status()).toBe(201);
  const keyResponse = await page.request.post("/api/agents/enrollment-keys", { headers, data: { uses: 1 } });
  const key = ((await keyResponse.json()) as { data: { key: string } }).data.key;
  await publish("Block brute force", 20);
  const agents: ReferenceAgent[] = [];
  const proxy = await startTamperingProxy(baseURL!);
  try {
    // Enrolled directly with the server: it pins the policy signing key, and applies (and saves) v1.
    const first = new ReferenceAgent(["--server", baseURL!, "--enroll", key, "--hostname", "ref-agent-tamper", "--state", state]);
    agents.push(first);
    await expect.poll(() => first.log, { timeout: 30_000 }).toContain('starting with v1 "Block brute force": 1 active rule(s) (block_ip)');
    first.process.kill();
    await first.exitCode();

    // Behind a man in the middle that disables the first rule of every policy: v2 arrives tampered, and is refused.
    await publish("Block brute force harder", 5);
    const second = new ReferenceAgent(["--server", proxy.url, "--hostname", "ref-agent-tamper", "--state", state]);
    agents.push(second);
    await expect.poll(() => second.log, { timeout: 30_000 }).toContain("REFUSED policy v2: bad signature: the policy is not the one that was signed; still enforcing v1");
    expect(second.log).not.toContain("applied v2");
    expect(proxy.tampered()).toBeGreaterThan(0);

    // Its heartbeat reported the refusal: the console shows it on the agent's row.
    await expect
      .poll(
        async () => {
          await page.goto("/agents");
          return page.getByRole("row", { name: /ref-agent-tamper/ }).textContent();
        },
        { timeout: 20_000 },
      )
      .toContain("Refused v2: bad signature");
    second.process.kill();
    await second.exitCode();
    await proxy.close();

    // The control plane unreachable (nothing listens where the proxy was): it enforces its last verified policy at
    // once, and past its staleness bound raises an alert.
    const third = new ReferenceAgent(["--server", proxy.url, "--hostname", "ref-agent-tamper", "--state", state, "--stale-after-seconds", "2"]);
    agents.push(third);
    await expect.poll(() => third.log, { timeout: 30_000 }).toMatch(/starting from the last verified policy \(verified [^)]+\): v1 "Block brute force": 1 active rule\(s\) \(block_ip\)/);
    await expect.poll(() => third.log, { timeout: 15_000 }).toContain("ALERT: policy is stale");

    // A stale agent that can reach the server says so in its heartbeat (played here with its token): the console
    // marks it, and the Stale filter finds it.
    const { token } = JSON.parse(readFileSync(state, "utf8")) as { token: string };
    const beat = await page.request.post("/api/agents/heartbeat", { headers: { Authorization: `Bearer ${token}` }, data: { policyVersion: "v1", status: "stale" } });
    expect(beat.status()).toBe(200);
    await page.goto("/agents");
    await page.getByRole("navigation", { name: "Filter agents by status" }).getByRole("link", { name: "Stale" }).click();
    await expect(page).toHaveURL(/\/agents\?status=stale/);
    await expect(page.getByRole("row", { name: /ref-agent-tamper/ })).toContainText("Stale");
  } finally {
    for (const agent of agents) agent.process.kill();
    await proxy.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});
