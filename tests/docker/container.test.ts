/**
 * The container image, as users run it: against PostgreSQL (this machine's, a fresh database on the server
 * TEST_DATABASE_URL names), and with the embedded PGlite in a volume. `npm run test:docker` builds the image first
 * (scripts/docker-test.sh) and names it in PALISADE_TEST_IMAGE. Containers share the host's network, each on a
 * free port, and are removed afterwards with their volume and database.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { promisify } from "node:util";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SseReader } from "../sse-client";

const IMAGE = process.env.PALISADE_TEST_IMAGE ?? "palisade:test";
const POSTGRES_SERVER = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const ADMIN = { ADMIN_EMAIL: "admin@example.com", ADMIN_PASSWORD: "docker test admin password" };
const MIGRATIONS = (JSON.parse(readFileSync("db/migrations/meta/_journal.json", "utf8")) as { entries: unknown[] }).entries.length;
const run = randomBytes(4).toString("hex");
const figures: string[] = [];
const containers = new Set<string>();

const execFileAsync = promisify(execFile);
async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("docker", args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

interface Container {
  name: string;
  base: string;
}

/**
 * Resolves once the container's /api/health answers 200. Fails, with the end of its log, if the container stops
 * or 120 s pass first.
 */
async function untilHealthy({ name, base }: Container): Promise<void> {
  const deadline = performance.now() + 120_000;
  let problem = "did not answer 200 within 120 s";
  for (let attempt = 1; performance.now() < deadline; attempt++) {
    const status = await fetch(`${base}/api/health`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    if (attempt % 10 === 0 && (await docker("inspect", "-f", "{{.State.Running}}", name)) !== "true") {
      problem = "stopped before answering 200";
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { stdout, stderr } = await execFileAsync("docker", ["logs", "--tail", "40", name]).catch(() => ({ stdout: "", stderr: "" }));
  throw new Error(`${name} ${problem} on ${base}/api/health. Its log ends with:\n${stdout}${stderr}`);
}

/** Runs the image; resolves once it is healthy, recording how long that took from `docker run`. */
async function startContainer(label: string, env: Record<string, string>, volume?: string): Promise<Container> {
  const name = `palisade-test-${label}-${run}`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const envFlags = Object.entries({ ...env, PORT: String(port) }).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
  const started = performance.now();
  containers.add(name);
  await docker("run", "-d", "--name", name, "--network", "host", ...envFlags, ...(volume ? ["-v", `${volume}:/app/data`] : []), IMAGE);
  await untilHealthy({ name, base });
  figures.push(`${label}: container start → /api/health 200 in ${Math.round(performance.now() - started)} ms`);
  return { name, base };
}

/** `npm run cli` inside the container, as an operator runs it; answers the last line (a token or a key). */
async function cli(container: Container, ...args: string[]): Promise<string> {
  const output = await docker("exec", container.name, "npm", "run", "--silent", "cli", "--", ...args);
  return output.split("\n").at(-1)!;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function policyEnabled(container: Container, token: string, id: string): Promise<boolean> {
  const response = await fetch(`${container.base}/api/policies/${id}`, { headers: bearer(token) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { enabled: boolean }).enabled;
}

async function removeContainers(): Promise<void> {
  if (containers.size > 0) await docker("rm", "-f", ...containers);
  containers.clear();
}

afterAll(async () => {
  await removeContainers();
  process.stdout.write(`\nImage ${IMAGE}\n${figures.map((line) => `  ${line}`).join("\n")}\n`);
});

describe("the image on PostgreSQL", () => {
  const database = `palisade_docker_${run}`;
  const server = postgres(POSTGRES_SERVER, { max: 1, onnotice: () => {} });
  let app: Container;
  let token: string;

  beforeAll(async () => {
    await server.unsafe(`create database ${database}`);
    const url = new URL(POSTGRES_SERVER);
    url.pathname = `/${database}`;
    app = await startContainer("postgres", { DATABASE_URL: url.toString(), AUTH_SECRET: randomBytes(32).toString("base64url"), ...ADMIN });
  });

  afterAll(async () => {
    await server.unsafe(`drop database if exists ${database} with (force)`);
    await server.end();
  });

  it("migrates the database as it starts", async () => {
    const url = new URL(POSTGRES_SERVER);
    url.pathname = `/${database}`;
    const db = postgres(url.toString(), { max: 1 });
    try {
      const applied = await db<{ count: number }[]>`select count(*)::int as count from drizzle.__drizzle_migrations`;
      expect(applied[0]?.count).toBe(MIGRATIONS);
    } finally {
      await db.end();
    }
  });

  it("answers its health check, inside the container too", async () => {
    const response = await fetch(`${app.base}/api/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    // Docker's own HEALTHCHECK runs every 15 s; one run, now, with the image's command.
    const check = JSON.parse(await docker("inspect", "-f", "{{json .Config.Healthcheck.Test}}", app.name)) as string[];
    await expect(docker("exec", app.name, ...check.slice(1))).resolves.toBe("");
  });

  it("lists the seed's policies and toggles one, with an API token made by the CLI inside the container", async () => {
    token = await cli(app, "token", "create", "--email", ADMIN.ADMIN_EMAIL, "--name", "docker test");
    expect(token).toMatch(/^pal_/);

    const list = await fetch(`${app.base}/api/policies`, { headers: bearer(token) });
    expect(list.status).toBe(200);
    const ids = ((await list.json()) as { id: string }[]).map((policy) => policy.id);
    expect(ids).toEqual(expect.arrayContaining(["pol-mfa-required", "pol-network-zero-trust", "pol-session-recording"]));

    const toggle = await fetch(`${app.base}/api/policies/pol-mfa-required`, { method: "PATCH", headers: bearer(token) });
    expect(toggle.status).toBe(200);
    expect(await toggle.json()).toEqual({ message: "Policy disabled", enabled: false });
    expect(await policyEnabled(app, token, "pol-mfa-required")).toBe(false);
  });

  it("streams an enrolled agent its policy", async () => {
    const enrollmentKey = await cli(app, "enroll-key", "create", "--uses", "1");
    expect(enrollmentKey).toMatch(/^penr_/);
    const enrolled = await fetch(`${app.base}/api/agents/enroll`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ enrollmentKey, hostname: "docker-test-host" }),
    });
    expect(enrolled.status).toBe(201);
    const { data: agent } = (await enrolled.json()) as { data: { agentId: string; token: string } };

    const stream = new SseReader(await fetch(`${app.base}/api/agents/stream`, { headers: bearer(agent.token) }));
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const first = await stream.next();
      expect(first?.event).toBe("policy");
      expect(first?.data).toMatchObject({ agentId: agent.agentId });
    } finally {
      await stream.close();
    }
  });
});

describe("the image with the embedded PGlite in a volume", () => {
  const volume = `palisade-test-data-${run}`;

  afterAll(async () => {
    await removeContainers();
    await docker("volume", "rm", "-f", volume);
  });

  it("serves with no DATABASE_URL and keeps its data, and its generated AUTH_SECRET, across a restart", async () => {
    const app = await startContainer("pglite", ADMIN, volume);
    // With the server holding the database, the CLI reaches it through the server's socket in the volume.
    const token = await cli(app, "token", "create", "--email", ADMIN.ADMIN_EMAIL, "--name", "docker test");
    const toggle = await fetch(`${app.base}/api/policies/pol-mfa-required`, { method: "PATCH", headers: bearer(token) });
    expect(await toggle.json()).toEqual({ message: "Policy disabled", enabled: false });
    const secretDigest = () => docker("exec", app.name, "sha256sum", "/app/data/pglite/palisade-auth-secret");
    const digestBefore = await secretDigest();

    const restarted = performance.now();
    await docker("restart", app.name);
    await untilHealthy(app);
    figures.push(`pglite: docker restart → /api/health 200 in ${Math.round(performance.now() - restarted)} ms`);

    expect(await policyEnabled(app, token, "pol-mfa-required")).toBe(false);
    expect(await secretDigest()).toBe(digestBefore);
  });
});
