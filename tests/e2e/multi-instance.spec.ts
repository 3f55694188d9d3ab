import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import postgres from "postgres";
import { SERVER_CONDITIONS } from "../../scripts/node-flags";
import { SseReader } from "../sse-client";

const exec = promisify(execFile);
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
// Beside the suite's own server (E2E_PORT, 3100 by default).
const BASE_PORT = Number(process.env.E2E_PORT ?? 3100);
const PORTS = [BASE_PORT + 11, BASE_PORT + 12] as const;

/**
 * Two production instances, each started as a user starts one (`npm start`: scripts/start.ts, then the server
 * entry scripts/server.ts), share one PostgreSQL: an agent streams from one, an admin publishes on the
 * other, and LISTEN/NOTIFY carries the event across. CI sets TEST_DATABASE_URL; without it there is no
 * PostgreSQL to share, and the test is skipped.
 */
test.describe("two instances against one PostgreSQL", () => {
  test.skip(!TEST_DATABASE_URL, "needs TEST_DATABASE_URL (a PostgreSQL server)");
  // The tests share the two instances, and the last one stops one of them.
  test.describe.configure({ mode: "serial" });

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
      instances.push(spawn(process.execPath, [...SERVER_CONDITIONS, "--import", "tsx", "scripts/start.ts"], { env: { ...env, PORT: String(port) }, stdio: "ignore" }));
    }
    for (const port of PORTS) await expect.poll(() => fetch(`http://localhost:${port}/api/health`).then((r) => r.status, () => 0), { timeout: 60_000 }).toBe(200);
  });

  test.afterAll(async () => {
    for (const instance of instances) instance.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await admin.unsafe(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  const [a, b] = PORTS.map((port) => `http://localhost:${port}`) as [string, string];
  const json = { "Content-Type": "application/json" };
  const cli = async (...args: string[]) => (await exec("node_modules/.bin/tsx", [...SERVER_CONDITIONS, "scripts/cli.ts", ...args], { env })).stdout.trimEnd().split("\n").at(-1)!;

  /** A new organization with an admin token and an agent enrolled on instance B. */
  async function organizationWithAgent(org: string) {
    const email = `ops@${org.toLowerCase()}.test`;
    await cli("user", "create", "--email", email, "--password", "correct horse battery", "--role", "admin", "--org", org);
    const token = await cli("token", "create", "--email", email, "--name", "multi");
    const enrollmentKey = await cli("enroll-key", "create", "--org", org, "--uses", "1");
    const enrolled = await fetch(`${b}/api/agents/enroll`, { method: "POST", headers: json, body: JSON.stringify({ enrollmentKey, hostname: "edge-1" }) });
    const { data: agent } = (await enrolled.json()) as { data: { agentId: string; token: string } };
    return { auth: { ...json, Authorization: `Bearer ${token}` }, agent };
  }

  const openStream = async (base: string, agentToken: string, lastEventId?: string) =>
    new SseReader(await fetch(`${base}/api/agents/stream`, { headers: { Authorization: `Bearer ${agentToken}`, ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}) } }));

  const publish = (base: string, auth: Record<string, string>, name: string) =>
    fetch(`${base}/api/policy`, { method: "POST", headers: auth, body: JSON.stringify({ name, rules: [{ type: "custom", config: { condition: "true", action: "log" } }] }) });

  test("a policy published on one instance reaches an agent streaming from the other", async () => {
    const { auth, agent } = await organizationWithAgent("Multi");
    const stream = await openStream(b, agent.token);
    expect((await stream.next())?.event).toBe("policy");

    // broadcastedTo counts streams on every instance, through presence that instances refresh every second.
    await expect
      .poll(
        async () => {
          const response = await publish(a, auth, "probe");
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

  test("an instance stopped with SIGTERM ends its streams and exits; the agent resumes on the other, missing nothing", async () => {
    const { auth, agent } = await organizationWithAgent("Drain");
    const stream = await openStream(b, agent.token);
    expect((await stream.next())?.event).toBe("policy");
    await expect.poll(async () => ((await (await publish(a, auth, "before")).json()) as { data: { broadcastedTo: number } }).data.broadcastedTo, { timeout: 10_000 }).toBe(1);
    // Each publish of the poll reached the stream; the agent applies them all.
    let lastApplied = await stream.next(10_000);
    for (let event; (event = await stream.next(1000).catch(() => null)); ) lastApplied = event;
    expect(lastApplied).toMatchObject({ event: "policy_version", data: { name: "before" } });

    const stopping = instances[1]!;
    const exited = new Promise<number | null>((resolve) => stopping.once("exit", (code) => resolve(code)));
    stopping.kill("SIGTERM");
    expect(await stream.next(10_000)).toBeNull();
    expect(await exited).toBe(143);

    // Instance B removed its presence as it stopped, so A no longer counts the agent.
    const missed = await publish(a, auth, "while away");
    expect(((await missed.json()) as { data: { broadcastedTo: number } }).data.broadcastedTo).toBe(0);

    const resumed = await openStream(a, agent.token, lastApplied!.id);
    expect(await resumed.next(10_000)).toMatchObject({ event: "policy_version", data: { name: "while away" } });
    expect(await resumed.quietFor(1000)).toBe(true);
    await resumed.close();
  });
});
