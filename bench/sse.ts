/**
 * `npm run bench:sse -- [--agents 10000] [--targets floor,route-handlers,lean] [--instances 1] [--database postgres://…]
 *                       [--workers 2] [--rounds 3] [--wrk-seconds 10] [--port 3900] [--cpu-prof DIR]`
 *
 * The agent data plane at fleet scale, on a production build, with the clients on the same machine. Each run
 * measures, one after the other and exactly alike:
 *   - floor: a bare node:http SSE server (bench/floor-server.ts), the least Node can do;
 *   - route-handlers: Palisade's server entry with AGENT_DATA_PLANE=route-handlers (the stream and heartbeats
 *     through Next's request pipeline, as under `next start` or `next dev`);
 *   - lean: Palisade's server entry as `npm start` runs it (the data plane on node:http).
 * For each: every agent connects (a first connection: the snapshot), RSS per open stream, the time from a
 * publish until each agent holds it (p50/p99/max, and events lost), convergence (a publish until the console's
 * feed counts every agent up to date; agents heartbeat 0–2 s after applying, as the reference agent does), a
 * restart with every agent reconnecting at once from its Last-Event-ID, then every client killed (streams left,
 * RSS and open files against the restarted instance's baseline), and heartbeats per second with wrk.
 * `--instances 2` (PostgreSQL only) runs two Palisade instances sharing the fleet: publishes go to the first.
 *
 * It prints figures and writes a markdown table to bench/results/; it never passes or fails on time.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { buildIfNeeded } from "../scripts/build";
import { base, cli, exec, log, now, productionEnv, sleep, startPalisade, stop, writeReport, wrkFigures } from "./servers";
import type { WorkerCommand, WorkerReport } from "./sse-clients";

const { values: options } = parseArgs({
  options: {
    agents: { type: "string", default: "10000" },
    workers: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    database: { type: "string" },
    targets: { type: "string", default: "floor,route-handlers,lean" },
    instances: { type: "string", default: "1" },
    "wrk-seconds": { type: "string", default: "10" },
    port: { type: "string", default: "3900" },
    /** A directory: Palisade's server processes write CPU profiles there (node --cpu-prof) when they stop. */
    "cpu-prof": { type: "string" },
  },
});
const AGENTS = Number(options.agents);
const WORKERS = Number(options.workers);
const ROUNDS = Number(options.rounds);
const INSTANCES = Number(options.instances);
const WRK_SECONDS = Number(options["wrk-seconds"]);
const PORT = Number(options.port);
const TARGETS = options.targets.split(",") as TargetName[];
const SOURCE_ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
const DATABASE = options.database ? "PostgreSQL" : "embedded PGlite";

type TargetName = "floor" | "route-handlers" | "lean";
const TARGET_LABELS: Record<TargetName, string> = {
  floor: "Floor (bare node:http)",
  "route-handlers": "Route handlers (Next's pipeline)",
  lean: "Lean path (`npm start`)",
};

if (INSTANCES > 1 && !options.database) throw new Error("--instances 2 needs --database postgres://…: instances share one PostgreSQL");
if (TARGETS.some((target) => !(target in TARGET_LABELS))) throw new Error(`--targets: each of ${Object.keys(TARGET_LABELS).join(", ")}`);

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0) * 1024;
}

/** Open file descriptors of a process, and how many of them are sockets. */
function openFiles(pid: number): { all: number; sockets: number } {
  const fds = readdirSync(`/proc/${pid}/fd`);
  const sockets = fds.filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:");
    } catch {
      return false; // closed meanwhile
    }
  }).length;
  return { all: fds.length, sockets };
}
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// ---------------------------------------------------------------------------
// The servers, and what the run does through Palisade's API.
// ---------------------------------------------------------------------------

const ports = () => Array.from({ length: INSTANCES }, (_, i) => PORT + i * 2);
function startPalisadePlane(env: NodeJS.ProcessEnv, plane: "lean" | "route-handlers", port: number): Promise<ChildProcess> {
  return startPalisade({ ...env, AGENT_DATA_PLANE: plane }, port, options["cpu-prof"]);
}

async function startFloor(port: number): Promise<ChildProcess> {
  const server = fork(path.join(import.meta.dirname, "floor-server.ts"), { env: { ...process.env, PORT: String(port) }, execArgv: ["--import", "tsx"] });
  await new Promise<void>((resolve) => server.once("message", () => resolve()));
  return server;
}

async function api<T>(method: string, route: string, token: string | null, body?: unknown): Promise<T> {
  const response = await fetch(`${base(PORT)}${route}`, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const policyBody = (name: string) => ({
  name,
  rules: [{ type: "block_ip", config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" }, enabled: true }],
});

/** Creates the admin, the token and N enrolled agents through the real API; returns the token and agent tokens. */
async function provision(env: NodeJS.ProcessEnv): Promise<{ adminToken: string; agentTokens: string[]; enrolSeconds: number }> {
  await cli(env, "user", "create", "--email", "bench@example.test", "--password", "bench password 123", "--role", "admin", "--org", "Bench");
  const adminToken = await cli(env, "token", "create", "--email", "bench@example.test", "--name", "bench");
  const enrollmentKey = await cli(env, "enroll-key", "create", "--uses", String(AGENTS), "--org", "Bench");
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

const CONVERGENCE_TIMEOUT_MS = 120_000;

/**
 * Follows the console's event stream and resolves when every connected agent runs `version`; null, with the last
 * figures logged, when that has not happened within CONVERGENCE_TIMEOUT_MS.
 */
async function convergence(adminToken: string, expected: number, publish: () => Promise<string>): Promise<number | null> {
  const response = await fetch(`${base(PORT)}/api/events`, { headers: { Authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(CONVERGENCE_TIMEOUT_MS) });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  await reader.read();
  const publishedAt = now();
  const version = await publish();
  let last = "none";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error("event stream closed");
      last = value.data;
      const fleet = JSON.parse(value.data) as { latestVersion: string; agents: { upToDate: number; outdated: number } };
      if (fleet.latestVersion === version && fleet.agents.upToDate >= expected && fleet.agents.outdated === 0) return (now() - publishedAt) / 1000;
    }
  } catch (error) {
    log(`no convergence on ${version} within ${CONVERGENCE_TIMEOUT_MS / 1000} s (${(error as Error).message}); the last figures: ${last}`);
    return null;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Heartbeats per second, measured by wrk on the first instance; beats rotate over every agent's token. */
async function heartbeatsPerSecond(url: string, tokensFile: string): Promise<{ perSecond: number; refused: number }> {
  const { stdout } = await exec("wrk", ["-t2", "-c50", `-d${WRK_SECONDS}s`, "-s", path.join(import.meta.dirname, "heartbeat.lua"), url], {
    env: { ...process.env, AGENT_TOKENS_FILE: tokensFile, POLICY_VERSION: "v1" },
  });
  return wrkFigures(stdout);
}

// ---------------------------------------------------------------------------
// The clients.
// ---------------------------------------------------------------------------

class Workers {
  private readonly children = Array.from({ length: WORKERS }, () =>
    fork(path.join(import.meta.dirname, "sse-clients.ts"), { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] }),
  );

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

  private static merge(reports: Extract<WorkerReport, { type: "connected" }>[]) {
    return {
      connected: sum(reports.map((report) => report.connected)),
      failed: sum(reports.map((report) => report.failed)),
      refused: sum(reports.map((report) => report.refused)),
      lastConnectedAt: Math.max(...reports.map((report) => report.lastConnectedAt)),
    };
  }

  async connect(targetPorts: number[], route: string, tokens: string[], heartbeat: boolean) {
    const share = Math.ceil(tokens.length / this.children.length);
    return Workers.merge(
      await this.ask(
        "connected",
        this.children.map((_, i) => ({
          type: "connect" as const,
          host: "127.0.0.1",
          ports: targetPorts,
          path: route,
          tokens: tokens.slice(i * share, (i + 1) * share),
          sourceAddresses: SOURCE_ADDRESSES,
          concurrency: 200,
          heartbeat,
        })),
      ),
    );
  }

  async reconnect() {
    return Workers.merge(await this.ask("connected", this.children.map(() => ({ type: "reconnect" as const, concurrency: 500 }))));
  }

  async awaitClosed(): Promise<void> {
    await this.ask("closed", this.children.map(() => ({ type: "awaitClosed" as const })));
  }

  async collect(round: number, timeoutMs: number): Promise<number[]> {
    const reports = await this.ask("collected", this.children.map(() => ({ type: "collect" as const, round, timeoutMs })));
    const failed = sum(reports.map((report) => report.heartbeatsFailed));
    if (failed > 0) log(`${failed} heartbeats failed so far, each sent again`);
    return reports.flatMap((report) => report.arrivals);
  }

  heartbeatAfterApply(enabled: boolean): void {
    this.children.forEach((child) => child.send({ type: "heartbeatAfterApply", enabled } satisfies WorkerCommand));
  }

  async kill(): Promise<void> {
    await this.ask("killed", this.children.map(() => ({ type: "kill" as const })));
  }

  exit(): void {
    this.children.forEach((child) => child.send({ type: "exit" } satisfies WorkerCommand));
  }
}

// ---------------------------------------------------------------------------
// One target, measured.
// ---------------------------------------------------------------------------

interface Round {
  p50: number;
  p99: number;
  max: number;
  lost: number;
}

interface Measurement {
  name: TargetName;
  connected: number;
  failed: number;
  connectSeconds: number;
  rssPerStreamKb: number;
  marginalRssPerStreamKb: number;
  rounds: Round[];
  convergenceSeconds: number | null;
  storm: { connected: number; failed: number; refused: number; seconds: number; rssPerStreamKb: number };
  afterStorm: Round;
  afterKill: { streamsLeft: number; rssChange: number; rssChangeLater: number; sockets: [number, number, number]; files: [number, number, number] };
  heartbeats: { perSecond: number; refused: number };
}

interface Target {
  name: TargetName;
  /** The instances' ports; agents are spread over them. */
  ports: number[];
  route: string;
  heartbeatUrl: string;
  start(): Promise<ChildProcess[]>;
  /** Publishes; resolves with the version label and the agents it reached, on every instance. */
  publish(name: string): Promise<{ version: string; broadcastedTo: number }>;
  /** Palisade only: the console's feed counts every agent up to date; null when it never did. */
  converge?(expected: number): Promise<number | null>;
}

async function timePublish(workers: Workers, target: Target, round: number, connected: number): Promise<Round> {
  const publishedAt = now();
  await target.publish(`round ${round}`);
  const latencies = (await workers.collect(round, 30_000)).map((arrival) => arrival - publishedAt).sort((a, b) => a - b);
  const result = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN, lost: connected - latencies.length };
  log(`publish ${round}: p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms, max ${result.max.toFixed(0)} ms, lost ${result.lost}`);
  return result;
}

/**
 * One stream opened and closed, one heartbeat, on each instance: a fresh server opens files and compiles code on
 * first use, which must not count as the cost of the fleet's streams.
 */
async function warmUp(target: Target, token: string): Promise<void> {
  const authorization = token ? { Authorization: `Bearer ${token}` } : undefined;
  for (const port of target.ports) {
    const stream = await fetch(`${base(port)}${target.route}`, { headers: authorization });
    const reader = stream.body?.getReader();
    await reader?.read();
    await reader?.cancel();
    const heartbeatUrl = new URL(target.heartbeatUrl);
    heartbeatUrl.port = String(port);
    await fetch(heartbeatUrl, { method: "POST", headers: { ...authorization, "Content-Type": "application/json" }, body: JSON.stringify({ policyVersion: "v1" }) });
  }
  await sleep(Number(process.env.WARM_MS ?? 2000));
}

async function measure(target: Target, tokens: string[], tokensFile: string): Promise<Measurement> {
  log(`--- ${TARGET_LABELS[target.name]} ---`);
  let servers = await target.start();
  await warmUp(target, tokens[0]!);
  const rss = () => sum(servers.map((server) => rssBytes(server.pid!)));
  const files = () => {
    const counts = servers.map((server) => openFiles(server.pid!));
    return { all: sum(counts.map((count) => count.all)), sockets: sum(counts.map((count) => count.sockets)) };
  };
  const baseline = rss();
  const workers = new Workers();
  // Two halves: the second half's growth is the marginal cost of a stream, once the heap has absorbed the
  // garbage that connecting makes; the whole run's growth includes that garbage.
  const half = Math.floor(tokens.length / 2);
  const heartbeat = target.name !== "floor";
  const started = now();
  const first = await workers.connect(target.ports, target.route, tokens.slice(0, half), heartbeat);
  await sleep(5000);
  const middle = rss();
  const second = await workers.connect(target.ports, target.route, tokens.slice(half), heartbeat);
  const connected = first.connected + second.connected;
  // Connecting time excludes the pause between the halves.
  const connectSeconds = (first.lastConnectedAt - started + (second.lastConnectedAt - first.lastConnectedAt - 5000)) / 1000;
  log(`${connected} connected (${first.failed + second.failed} failed) in ${connectSeconds.toFixed(1)} s`);
  await sleep(5000);
  const rssPerStreamKb = (rss() - baseline) / connected / 1024;
  const marginalRssPerStreamKb = (rss() - middle) / second.connected / 1024;
  log(`RSS per stream: ${rssPerStreamKb.toFixed(1)} KB over the run, ${marginalRssPerStreamKb.toFixed(1)} KB for the second half`);

  let round = 0;
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    rounds.push(await timePublish(workers, target, ++round, connected));
    await sleep(2000);
  }

  let convergenceSeconds: number | null = null;
  if (target.converge) {
    workers.heartbeatAfterApply(true);
    round++;
    convergenceSeconds = await target.converge(connected);
    workers.heartbeatAfterApply(false);
    log(`convergence: ${convergenceSeconds === null ? "none" : `${convergenceSeconds.toFixed(1)} s`}`);
    await workers.collect(round, 30_000);
  }

  // A restart: every stream ends, and every agent comes back at once from its Last-Event-ID.
  await Promise.all(servers.map(stop));
  await workers.awaitClosed();
  servers = await target.start();
  await warmUp(target, tokens[0]!);
  const restartedBaseline = rss();
  const restartedFiles = files();
  const stormStarted = now();
  const reconnected = await workers.reconnect();
  const storm = {
    connected: reconnected.connected,
    failed: reconnected.failed,
    refused: reconnected.refused,
    seconds: (reconnected.lastConnectedAt - stormStarted) / 1000,
    rssPerStreamKb: 0,
  };
  log(`restart: ${storm.connected} reconnected (${storm.failed} failed, ${storm.refused} answered 503 first) in ${storm.seconds.toFixed(1)} s`);
  await sleep(5000);
  storm.rssPerStreamKb = (rss() - restartedBaseline) / storm.connected / 1024;
  const afterStorm = await timePublish(workers, target, ++round, connected);

  // Every client vanishes at once: nothing may stay behind.
  await workers.kill();
  workers.exit();
  await sleep(10_000);
  const { broadcastedTo } = await target.publish("after every client left");
  const left = files();
  const rssChange = rss() / restartedBaseline - 1;
  // V8 returns freed heap to the system lazily, after the process has been idle a while.
  // The database pool closes connections idle for 30 s: the later count shows whether sockets are back.
  await sleep(50_000);
  const later = files();
  const afterKill = {
    streamsLeft: broadcastedTo,
    rssChange,
    rssChangeLater: rss() / restartedBaseline - 1,
    sockets: [restartedFiles.sockets, left.sockets, later.sockets] as [number, number, number],
    files: [restartedFiles.all, left.all, later.all] as [number, number, number],
  };
  log(
    `after killing every client: ${broadcastedTo} streams left; RSS ${(afterKill.rssChange * 100).toFixed(1)}% after 10 s, ${(afterKill.rssChangeLater * 100).toFixed(1)}% after 60 s; ` +
      `sockets ${afterKill.sockets.join(" → ")}, open files ${afterKill.files.join(" → ")} (baseline, 10 s, 60 s)`,
  );

  const heartbeats = await heartbeatsPerSecond(target.heartbeatUrl, tokensFile);
  log(`heartbeats: ${heartbeats.perSecond.toFixed(0)}/s (${heartbeats.refused} refused)`);
  await Promise.all(servers.map(stop));
  return {
    name: target.name,
    connected,
    failed: first.failed + second.failed,
    connectSeconds,
    rssPerStreamKb,
    marginalRssPerStreamKb,
    rounds,
    convergenceSeconds,
    storm,
    afterStorm,
    afterKill,
    heartbeats,
  };
}

// ---------------------------------------------------------------------------
// The report.
// ---------------------------------------------------------------------------

function table(results: [TargetName, Measurement][]): string {
  const floor = results.find(([name]) => name === "floor")?.[1];
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const percent = (value: number) => `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}%`;
  const ratio = (value: number, floorValue: number | undefined) => (floorValue ? ` (${(value / floorValue).toFixed(2)}× floor)` : "");
  const worstP99 = (m: Measurement) => Math.max(...m.rounds.map((r) => r.p99), m.afterStorm.p99);
  const rows: [string, (m: Measurement) => string][] = [
    ["agents connected (failed)", (m) => `${m.connected} (${m.failed})`],
    ["first connection of every agent (snapshot)", (m) => `${m.connectSeconds.toFixed(1)} s`],
    ["RSS per open stream: whole run / second half", (m) => `${m.rssPerStreamKb.toFixed(1)} KB / ${m.marginalRssPerStreamKb.toFixed(1)} KB`],
    ...Array.from({ length: ROUNDS }, (_, i): [string, (m: Measurement) => string] => [
      `publish ${i + 1} → every agent holds it: p50 / p99 / max`,
      (m) => `${ms(m.rounds[i]!.p50)} / ${ms(m.rounds[i]!.p99)} / ${ms(m.rounds[i]!.max)}`,
    ]),
    ["worst p99", (m) => `${ms(worstP99(m))}${m === floor ? "" : ratio(worstP99(m), floor && worstP99(floor))}`],
    ["convergence: publish → the console counts every agent up to date", (m) => (m.name === "floor" ? "n/a" : m.convergenceSeconds === null ? `not within ${CONVERGENCE_TIMEOUT_MS / 1000} s` : `${m.convergenceSeconds.toFixed(1)} s`)],
    [
      "restart: every agent reconnects from its Last-Event-ID (503s waited out)",
      (m) => `${m.storm.connected} in ${m.storm.seconds.toFixed(1)} s (${m.storm.failed} failed, ${m.storm.refused} 503s)`,
    ],
    ["RSS per open stream after the restart", (m) => `${m.storm.rssPerStreamKb.toFixed(1)} KB`],
    ["publish after the restart: p50 / p99 / max", (m) => `${ms(m.afterStorm.p50)} / ${ms(m.afterStorm.p99)} / ${ms(m.afterStorm.max)}`],
    ["events lost (all publishes)", (m) => String(sum(m.rounds.map((r) => r.lost)) + m.afterStorm.lost)],
    ["every client killed: streams left", (m) => String(m.afterKill.streamsLeft)],
    ["… RSS against the restarted baseline, 10 s / 60 s later", (m) => `${percent(m.afterKill.rssChange)} / ${percent(m.afterKill.rssChangeLater)}`],
    ["… open sockets, open files: baseline → 10 s → 60 s later", (m) => `${m.afterKill.sockets.join(" → ")}, ${m.afterKill.files.join(" → ")}`],
    [
      `heartbeats per second (wrk -t2 -c50 -d${WRK_SECONDS}s, refused)`,
      (m) => `${m.heartbeats.perSecond.toFixed(0)}${m === floor ? "" : ratio(m.heartbeats.perSecond, floor?.heartbeats.perSecond)} (${m.heartbeats.refused})`,
    ],
  ];
  return [
    `| | ${results.map(([name]) => TARGET_LABELS[name]).join(" | ")} |`,
    `| --- |${results.map(() => " --- |").join("")}`,
    ...rows.map(([label, pick]) => `| ${label} | ${results.map(([, m]) => pick(m)).join(" | ")} |`),
  ].join("\n");
}

async function main(): Promise<void> {
  buildIfNeeded();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "palisade-bench-"));
  const tokensFile = path.join(dataDir, "agent-tokens");
  // The floor answers any heartbeat: one token to rotate over is enough.
  const floorTokensFile = path.join(dataDir, "floor-tokens");
  writeFileSync(floorTokensFile, "floor\n");
  // Agents must not count as offline during a long run.
  const env = productionEnv(options.database ?? `pglite:${dataDir}/pglite`, { AGENT_OFFLINE_AFTER_SECONDS: "3600" });
  log(`${AGENTS} agents on ${INSTANCES} instance(s), ${WORKERS} client processes, ${ROUNDS} publishes, database ${DATABASE}; targets ${TARGETS.join(", ")}`);

  const results: [TargetName, Measurement][] = [];
  let enrolSeconds: number | null = null;
  let palisade: { adminToken: string; agentTokens: string[] } | null = null;
  const measured = async (name: TargetName, run: () => Promise<Measurement>) => results.push([name, await run()]);
  for (const name of TARGETS) {
    if (name === "floor") {
      let publishes = 0;
      await measured(name, () =>
        measure(
          {
            name,
            ports: [PORT + 1],
            route: "/stream",
            heartbeatUrl: `${base(PORT + 1)}/heartbeat`,
            start: async () => [await startFloor(PORT + 1)],
            publish: async () => {
              const response = await fetch(`${base(PORT + 1)}/publish`, { method: "POST" });
              return { version: `v${++publishes}`, ...((await response.json()) as { broadcastedTo: number }) };
            },
          },
          Array.from({ length: AGENTS }, () => ""),
          floorTokensFile,
        ),
      );
      continue;
    }
    if (!palisade) {
      // Provision once, on a server of its own, so the measured ones hold connections and not leftovers.
      const provisioner = await startPalisadePlane(env, "lean", PORT);
      const provisioned = await provision(env);
      await stop(provisioner);
      enrolSeconds = provisioned.enrolSeconds;
      palisade = provisioned;
      writeFileSync(tokensFile, provisioned.agentTokens.join("\n"));
      log(`enrolled ${AGENTS} agents in ${enrolSeconds.toFixed(1)} s`);
    }
    const { adminToken, agentTokens } = palisade;
    const publish = async (policyName: string) => (await api<{ data: { version: string; broadcastedTo: number } }>("POST", "/api/policy", adminToken, policyBody(policyName))).data;
    await measured(name, () =>
      measure(
        {
          name,
          ports: ports(),
          route: "/api/agents/stream",
          heartbeatUrl: `${base(PORT)}/api/agents/heartbeat`,
          start: () => Promise.all(ports().map((port) => startPalisadePlane(env, name, port))),
          publish,
          converge: (expected) => convergence(adminToken, expected, async () => (await publish("convergence")).version),
        },
        agentTokens,
        tokensFile,
      ),
    );
  }
  rmSync(dataDir, { recursive: true, force: true });

  const report = [
    `# Agent data plane at fleet scale, ${new Date().toISOString()}`,
    "",
    `${AGENTS} agents on ${INSTANCES === 1 ? "one instance" : `${INSTANCES} instances (publishes to the first; every agent on every instance counted)`}; ${os.cpus().length} cores; Node ${process.version}; database: ${DATABASE}; ${WORKERS} client processes on the same machine.`,
    enrolSeconds === null ? "" : `Provisioning (enrolling ${AGENTS} agents through the API): ${enrolSeconds.toFixed(1)} s.`,
    "",
    table(results),
    "",
    `Reproduce: \`npm run bench:sse -- ${process.argv.slice(2).join(" ") || `--agents ${AGENTS}`}\``,
    "",
  ].join("\n");
  writeReport(`sse-${AGENTS}-${options.database ? "postgres" : "pglite"}-${INSTANCES}x`, report);
  process.exit(0);
}

await main();
