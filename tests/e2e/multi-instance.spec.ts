import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import postgres from "postgres";
import { SseReader } from "../sse-client";

const exec = promisify(execFile);
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
const PORTS = [3111, 3112] as const;

/**
 * Two production instances share one PostgreSQL: an agent streams from one, an admin publishes on the
 * other, and LISTEN/NOTIFY carries the event across. CI sets TEST_DATABASE_URL; without it there is no
 * PostgreSQL to share, and the test is skipped.
 */
test.describe("two instances against one PostgreSQL", () => {
  test.skip(!TEST_DATABASE_URL, "needs TEST_DATABASE_URL (a PostgreSQL server)");

  const database = `palisade_multi_${randomBytes(4).toString("hex")}`;
  let admin: postgres.Sql;
  let env: NodeJS.ProcessEnv;
  const instances: ChildProcess[] = [];

  test.beforeAll(async () => {
    admin = postgres(TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${database}`);
    const url = new URL(TEST_DATABASE_URL!);
    url.pathname = `/${database}`;
    env = { ...process.env, DATABASE_URL: url.toString(), AUTH_SECRET: randomBytes(32).toString("base64url"), NEXT_TELEMETRY_DISABLED: "1" };
    for (const port of PORTS) {
      instances.push(spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", String(port)], { env, stdio: "ignore" }));
    }
    for (const port of PORTS) await expect.poll(() => fetch(`http://localhost:${port}/api/health`).then((r) => r.status, () => 0), { timeout: 60_000 }).toBe(200);
  });

  test.afterAll(async () => {
    for (const instance of instances) instance.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await admin.unsafe(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  test("a policy published on one instance reaches an agent streaming from the other", async () => {
    const cli = async (...args: string[]) => (await exec("node_modules/.bin/tsx", ["scripts/cli.ts", ...args], { env })).stdout.trimEnd().split("\n").at(-1)!;
    await cli("user", "create", "--email", "ops@example.test", "--password", "correct horse battery", "--role", "admin", "--org", "Multi");
    const token = await cli("token", "create", "--email", "ops@example.test", "--name", "multi");
    const enrollmentKey = await cli("enroll-key", "create", "--uses", "1");
    const [a, b] = PORTS.map((port) => `http://localhost:${port}`) as [string, string];
    const json = { "Content-Type": "application/json" };
    const auth = { ...json, Authorization: `Bearer ${token}` };

    const enrolled = await fetch(`${b}/api/agents/enroll`, { method: "POST", headers: json, body: JSON.stringify({ enrollmentKey, hostname: "edge-1" }) });
    const { data: agent } = (await enrolled.json()) as { data: { agentId: string; token: string } };
    const stream = new SseReader(await fetch(`${b}/api/agents/stream`, { headers: { Authorization: `Bearer ${agent.token}` } }));
    expect((await stream.next())?.event).toBe("policy");

    // broadcastedTo counts streams on every instance, through presence that instances refresh every second.
    await expect
      .poll(
        async () => {
          const response = await fetch(`${a}/api/policy`, { method: "POST", headers: auth, body: JSON.stringify({ name: "probe", rules: [{ type: "custom", config: { condition: "true", action: "log" } }] }) });
          return ((await response.json()) as { data: { broadcastedTo: number } }).data.broadcastedTo;
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    const published = await fetch(`${a}/api/policy`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ name: "Cross-instance", rules: [{ type: "block_ip", config: { trigger: "brute_force", threshold: 5, duration: "1h", scope: "fleet" } }] }),
    });
    expect(published.status).toBe(201);
    let event = await stream.next(10_000);
    while (event?.data.name === "probe") event = await stream.next(10_000);
    expect(event).toMatchObject({ event: "policy_version", data: { name: "Cross-instance" } });

    await fetch(`${a}/api/policies/pol-network-zero-trust`, { method: "PATCH", headers: auth });
    expect(await stream.next(10_000)).toMatchObject({ event: "security_policy", data: { policy: { id: "pol-network-zero-trust", enabled: false } } });

    const revoked = await fetch(`${a}/api/agents/${agent.agentId}`, { method: "DELETE", headers: auth });
    expect(revoked.status).toBe(200);
    expect((await stream.next(10_000))?.event).toBe("revoked");
    expect(await stream.next(10_000)).toBeNull();
  });
});
