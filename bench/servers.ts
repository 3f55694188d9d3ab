/** What the benchmarks share: starting and stopping Palisade's production server entry, and its CLI. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { SERVER_CONDITIONS, SERVER_ENTRY_ARGS } from "../scripts/node-flags";

const exec = promisify(execFile);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const now = () => performance.timeOrigin + performance.now();
export const log = (message: string) => console.log(`[bench] ${message}`);
export const base = (port: number) => `http://127.0.0.1:${port}`;

export async function waitForHealth(url: string): Promise<void> {
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

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** The environment of a production server on `databaseUrl`, with a fresh AUTH_SECRET. */
export function productionEnv(databaseUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL: databaseUrl, AUTH_SECRET: randomBytes(32).toString("base64url"), ...extra, NODE_ENV: "production" };
}

/** Prints a run's markdown report and writes it to bench/results/<name>-<time>.md. */
export function writeReport(name: string, report: string): void {
  console.log(`\n${report}`);
  const directory = path.join(import.meta.dirname, "results");
  mkdirSync(directory, { recursive: true });
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "");
  const file = path.join(directory, `${name}-${stamp}.md`);
  writeFileSync(file, report);
  log(`written to ${path.relative(process.cwd(), file)}`);
}

/**
 * Starts the server entry as `npm start` runs it, and resolves once it answers /api/health. `cpuProfileDir`:
 * the process writes a CPU profile there when it stops (named by Node: CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile;
 * the main thread is the largest of a pid).
 */
export async function startPalisade(env: NodeJS.ProcessEnv, port: number, cpuProfileDir?: string): Promise<ChildProcess> {
  const profile = cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(cpuProfileDir)}`] : [];
  const server = spawn(process.execPath, [...profile, ...SERVER_ENTRY_ARGS], { env: { ...env, PORT: String(port) }, stdio: ["ignore", "ignore", "inherit"] });
  await waitForHealth(`${base(port)}/api/health`);
  return server;
}

/** Runs `npm run cli -- …` and returns the last line it printed (the secret, for the commands that make one). */
export async function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const { stdout } = await exec("node_modules/.bin/tsx", [...SERVER_CONDITIONS, "scripts/cli.ts", ...args], { env });
  return stdout.trimEnd().split("\n").at(-1)!;
}

/** Throughput and non-2xx answers from one wrk run's output. */
export function wrkFigures(stdout: string): { perSecond: number; refused: number } {
  return {
    perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN),
    refused: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0),
  };
}

export { exec };
