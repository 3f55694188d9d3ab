/**
 * `npm run bench:sse -- [--agents 10000] [--workers 2] [--rounds 3] [--database postgres://…] [--no-floor]`
 *
 * Fan-out benchmark of the agent event stream on a production build, against the floor (a bare node:http SSE
 * server) in the same run. It prints figures and writes a markdown table to bench/results/; it never passes
 * or fails on time. Measured per target:
 *   - N agents connected to one instance, and the time until every one holds its first event;
 *   - RSS per connection: server RSS growth from before to after connecting, divided by N;
 *   - for each publish, the time until each agent holds the event: p50, p99, max; and events lost;
 *   - Palisade only: convergence, from a publish until the console's event stream counts every agent up to
 *     date, with agents that heartbeat 0–2 s after applying (as the reference agent does).
 */
import { fork, spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { buildIfNeeded, NEXT_BIN } from "../scripts/build";
import { SERVER_CONDITIONS } from "../scripts/node-flags";
import type { WorkerCommand, WorkerReport } from "./sse-clients";

const exec = promisify(execFile);
const { values: options } = parseArgs({
  options: {
    agents: { type: "string", default: "10000" },
    workers: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    database: { type: "string" },
    "no-floor": { type: "boolean", default: false },
    port: { type: "string", default: "3900" },
  },
});
const AGENTS = Number(options.agents);
const WORKERS = Number(options.workers);
const ROUNDS = Number(options.rounds);
const PORT = Number(options.port);
const FLOOR_PORT = PORT + 1;
const BASE = `http://127.0.0.1:${PORT}`;
const SOURCE_ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();
const log = (message: string) => console.log(`[bench] ${message}`);

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0) * 1024;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${url} never became healthy`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

// ---------------------------------------------------------------------------
// The two servers.
// ---------------------------------------------------------------------------

async function startPalisade(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const server = spawn(process.execPath, [NEXT_BIN, "start", "-p", String(PORT)], { env, stdio: ["ignore", "ignore", "inherit"] });
  await waitForHealth(`${BASE}/api/health`);
  return server;
}

async function startFloor(): Promise<ChildProcess> {
  const server = fork(path.join(import.meta.dirname, "floor-server.ts"), { env: { ...process.env, PORT: String(FLOOR_PORT) }, execArgv: ["--import", "tsx"] });
  await new Promise<void>((resolve) => server.once("message", () => resolve()));
  return server;
}

async function api<T>(method: string, route: string, token: string | null, body?: unknown): Promise<T> {
  const response = await fetch(`${BASE}${route}`, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const { stdout } = await exec("node_modules/.bin/tsx", [...SERVER_CONDITIONS, "scripts/cli.ts", ...args], { env });
  return stdout.trimEnd().split("\n").at(-1)!;
}

const policyBody = (name: string) => ({
  name,
  rules: [{ type: "block_ip", config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" }, enabled: true }],
});

/** Creates the admin, the token and N enrolled agents through the real API; returns the token and agent tokens. */
async function provision(env: NodeJS.ProcessEnv): Promise<{ adminToken: string; agentTokens: string[]; enrolSeconds: number }> {
  await exec("node_modules/.bin/tsx", [...SERVER_CONDITIONS, "scripts/cli.ts", "user", "create", "--email", "bench@example.test", "--password", "bench password 123", "--role", "admin", "--org", "Bench"], { env });
  const adminToken = await cli(env, "token", "create", "--email", "bench@example.test", "--name", "bench");
  const enrollmentKey = await cli(env, "enroll-key", "create", "--uses", String(AGENTS), "--org", "Bench");
  // Agents must not count as offline during a long run, and the console must see them all.
  await api("POST", "/api/policy", adminToken, policyBody("baseline"));
  const started = now();
  const agentTokens: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < AGENTS) {
        const index = next++;
        const { data } = await api<{ data: { token: string } }>("POST", "/api/agents/enroll", null, { enrollmentKey, hostname: `bench-${index}` });
        agentTokens[index] = data.token;
      }
    }),
  );
  return { adminToken, agentTokens, enrolSeconds: (now() - started) / 1000 };
}

// ---------------------------------------------------------------------------
// The clients.
// ---------------------------------------------------------------------------

class Workers {
  private readonly children: ChildProcess[];

  constructor(count: number) {
    this.children = Array.from({ length: count }, () =>
      fork(path.join(import.meta.dirname, "sse-clients.ts"), { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] }),
    );
  }

  private ask<T extends WorkerReport["type"]>(type: T, commands: WorkerCommand[]): Promise<Extract<WorkerReport, { type: T }>[]> {
    return Promise.all(
      this.children.map(
        (child, i) =>
          new Promise<Extract<WorkerReport, { type: T }>>((resolve) => {
            const onMessage = (report: WorkerReport) => {
              if (report.type !== type) return;
              child.off("message", onMessage);
              resolve(report as Extract<WorkerReport, { type: T }>);
            };
            child.on("message", onMessage);
            child.send(commands[i]!);
          }),
      ),
    );
  }

  async connect(port: number, route: string, tokens: string[], heartbeat: boolean) {
    const share = Math.ceil(tokens.length / this.children.length);
    const reports = await this.ask(
      "connected",
      this.children.map((_, i) => ({
        type: "connect" as const,
        host: "127.0.0.1",
        port,
        path: route,
        tokens: tokens.slice(i * share, (i + 1) * share),
        sourceAddresses: SOURCE_ADDRESSES,
        concurrency: 200,
        heartbeat,
      })),
    );
    return {
      connected: reports.reduce((sum, report) => sum + report.connected, 0),
      failed: reports.reduce((sum, report) => sum + report.failed, 0),
      lastConnectedAt: Math.max(...reports.map((report) => report.lastConnectedAt)),
    };
  }

  async collect(round: number, timeoutMs: number): Promise<number[]> {
    const reports = await this.ask("collected", this.children.map(() => ({ type: "collect" as const, round, timeoutMs })));
    return reports.flatMap((report) => report.arrivals);
  }

  heartbeatAfterApply(enabled: boolean): void {
    this.children.forEach((child) => child.send({ type: "heartbeatAfterApply", enabled } satisfies WorkerCommand));
  }

  close(): void {
    this.children.forEach((child) => child.send({ type: "close" } satisfies WorkerCommand));
  }
}

interface Measurement {
  connected: number;
  failed: number;
  connectSeconds: number;
  rssPerConnectionKb: number;
  marginalRssPerConnectionKb: number;
  rounds: { p50: number; p99: number; max: number; lost: number }[];
  convergenceSeconds?: number;
}

/** Connects every agent, measures memory, then times `ROUNDS` publishes. */
async function measure(options: {
  pid: number;
  port: number;
  route: string;
  tokens: string[];
  heartbeat: boolean;
  publish: (round: number) => Promise<void>;
}): Promise<{ measurement: Measurement; workers: Workers }> {
  await sleep(2000);
  const baseline = rssBytes(options.pid);
  const workers = new Workers(WORKERS);
  // Two halves: the second half's growth is the marginal cost of a connection, once the heap has
  // absorbed the garbage that connecting makes; the whole run's growth includes that garbage.
  const half = Math.floor(options.tokens.length / 2);
  const started = now();
  const first = await workers.connect(options.port, options.route, options.tokens.slice(0, half), options.heartbeat);
  await sleep(5000);
  const middle = rssBytes(options.pid);
  const second = await workers.connect(options.port, options.route, options.tokens.slice(half), options.heartbeat);
  const connected = first.connected + second.connected;
  const failed = first.failed + second.failed;
  // Connecting time excludes the pause between the halves.
  const connectSeconds = (first.lastConnectedAt - started + (second.lastConnectedAt - first.lastConnectedAt - 5000)) / 1000;
  log(`${connected} connected (${failed} failed) in ${connectSeconds.toFixed(1)} s`);
  await sleep(5000);
  const after = rssBytes(options.pid);
  const rssPerConnectionKb = (after - baseline) / connected / 1024;
  const marginalRssPerConnectionKb = (after - middle) / second.connected / 1024;
  log(`RSS per connection: ${rssPerConnectionKb.toFixed(1)} KB over the run, ${marginalRssPerConnectionKb.toFixed(1)} KB for the second half`);

  const rounds: Measurement["rounds"] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const publishedAt = now();
    await options.publish(round);
    const latencies = (await workers.collect(round, 30_000)).map((arrival) => arrival - publishedAt).sort((a, b) => a - b);
    const result = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN, lost: connected - latencies.length };
    rounds.push(result);
    log(`publish ${round}: p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms, max ${result.max.toFixed(0)} ms, lost ${result.lost}`);
    await sleep(2000);
  }
  return { measurement: { connected, failed, connectSeconds, rssPerConnectionKb, marginalRssPerConnectionKb, rounds }, workers };
}

/** Follows the console's event stream and resolves when every connected agent runs `version`. */
async function convergence(adminToken: string, expected: number, publish: () => Promise<string>): Promise<number> {
  const response = await fetch(`${BASE}/api/events`, { headers: { Authorization: `Bearer ${adminToken}` } });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  await reader.read();
  const publishedAt = now();
  const version = await publish();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error("event stream closed");
      const fleet = JSON.parse(value.data) as { latestVersion: string; agents: { upToDate: number; outdated: number } };
      if (fleet.latestVersion === version && fleet.agents.upToDate >= expected && fleet.agents.outdated === 0) return (now() - publishedAt) / 1000;
    }
  } finally {
    await reader.cancel();
  }
}

// ---------------------------------------------------------------------------
// The run.
// ---------------------------------------------------------------------------

function table(palisade: Measurement, floor: Measurement | null): string {
  const cell = (m: Measurement | null, pick: (m: Measurement) => string) => (m ? pick(m) : "not run");
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const rows: [string, (m: Measurement) => string][] = [
    ["agents connected (failed)", (m) => `${m.connected} (${m.failed})`],
    ["time to connect all", (m) => `${m.connectSeconds.toFixed(1)} s`],
    ["RSS per connection: whole run / second half", (m) => `${m.rssPerConnectionKb.toFixed(1)} KB / ${m.marginalRssPerConnectionKb.toFixed(1)} KB`],
    ...palisade.rounds.map((_, i): [string, (m: Measurement) => string] => [
      `publish ${i + 1}: p50 / p99 / max`,
      (m) => (m.rounds[i] ? `${ms(m.rounds[i].p50)} / ${ms(m.rounds[i].p99)} / ${ms(m.rounds[i].max)}` : "-"),
    ]),
    ["events lost", (m) => String(m.rounds.reduce((sum, round) => sum + round.lost, 0))],
    ["convergence: publish → console shows all up to date", (m) => (m.convergenceSeconds === undefined ? "n/a" : `${m.convergenceSeconds.toFixed(1)} s`)],
  ];
  return [
    "| | Palisade (Next.js route handler) | Floor (bare node:http) |",
    "| --- | --- | --- |",
    ...rows.map(([label, pick]) => `| ${label} | ${pick(palisade)} | ${cell(floor, pick)} |`),
  ].join("\n");
}

async function main(): Promise<void> {
  buildIfNeeded();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "palisade-bench-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: options.database ?? `pglite:${dataDir}/pglite`,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    AGENT_OFFLINE_AFTER_SECONDS: "3600",
  };
  log(`${AGENTS} agents, ${WORKERS} client processes, ${ROUNDS} publishes, database ${options.database ? "PostgreSQL" : "embedded PGlite"}`);

  // Provision on one server process, then measure on a fresh one, so its memory holds connections, not leftovers.
  let server = await startPalisade(env);
  const { adminToken, agentTokens, enrolSeconds } = await provision(env);
  log(`enrolled ${AGENTS} agents in ${enrolSeconds.toFixed(1)} s`);
  await stop(server);
  server = await startPalisade(env);

  const palisade = await measure({
    pid: server.pid!,
    port: PORT,
    route: "/api/agents/stream",
    tokens: agentTokens,
    heartbeat: true,
    publish: async (round) => void (await api("POST", "/api/policy", adminToken, policyBody(`round ${round}`))),
  });
  palisade.workers.heartbeatAfterApply(true);
  palisade.measurement.convergenceSeconds = await convergence(adminToken, palisade.measurement.connected, async () => {
    const { data } = await api<{ data: { version: string } }>("POST", "/api/policy", adminToken, policyBody("convergence"));
    return data.version;
  });
  log(`convergence: ${palisade.measurement.convergenceSeconds.toFixed(1)} s`);
  palisade.workers.close();
  await stop(server);

  let floor: Measurement | null = null;
  if (!options["no-floor"]) {
    const floorServer = await startFloor();
    const run = await measure({
      pid: floorServer.pid!,
      port: FLOOR_PORT,
      route: "/stream",
      tokens: Array.from({ length: AGENTS }, () => ""),
      heartbeat: false,
      publish: async () => void (await fetch(`http://127.0.0.1:${FLOOR_PORT}/publish`, { method: "POST" })),
    });
    floor = run.measurement;
    run.workers.close();
    await stop(floorServer);
  }
  rmSync(dataDir, { recursive: true, force: true });

  const report = [
    `# SSE fan-out benchmark, ${new Date().toISOString()}`,
    "",
    `${AGENTS} agents on one instance; ${os.cpus().length} cores; Node ${process.version}; database: ${options.database ? "PostgreSQL" : "embedded PGlite"}; ${WORKERS} client processes on the same machine.`,
    `Provisioning (enrolling ${AGENTS} agents through the API): ${enrolSeconds.toFixed(1)} s.`,
    "",
    table(palisade.measurement, floor),
    "",
    `Reproduce: \`npm run bench:sse -- ${process.argv.slice(2).join(" ") || `--agents ${AGENTS}`}\``,
    "",
  ].join("\n");
  console.log(`\n${report}`);
  mkdirSync(path.join(import.meta.dirname, "results"), { recursive: true });
  const file = path.join(import.meta.dirname, "results", `sse-${AGENTS}-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, "")}.md`);
  writeFileSync(file, report);
  log(`written to ${path.relative(process.cwd(), file)}`);
  process.exit(0);
}

await main();
