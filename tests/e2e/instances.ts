import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { SERVER_CONDITIONS, SERVER_ENTRY_ARGS } from "../../scripts/node-flags";
import { postgresBinaries, startThrowawayPostgres, type ThrowawayPostgres } from "../throwaway-postgres";

const exec = promisify(execFile);

/**
 * A production instance of its own for the fault tests: the server entry (scripts/server.ts) started exactly as a
 * container starts it, from the build the suite's own server made, against the database `databaseUrl` names. Its
 * process is the server itself (not `npm start`'s parent), so a kill -9 kills the server.
 */
export interface Instance {
  readonly base: string;
  /** What the process wrote (stdout and stderr), for a failure's message. */
  output(): string;
  /** Starts the server again on the same port and database, as after a crash. */
  restart(): Promise<void>;
  /** `kill -9`: nothing runs after it, no response is finished, no transaction is committed. Also the tests' cleanup. */
  kill(): Promise<void>;
  /** SIGTERM, as an orchestrator stops it; answers its exit code and how long it took to exit. */
  terminate(): Promise<{ code: number | null; ms: number }>;
  /** Runs `npm run cli` against the instance's database; answers the last line it printed. */
  cli(...args: string[]): Promise<string>;
}

export async function startInstance({ port, databaseUrl, env = {} }: { port: number; databaseUrl: string; env?: Record<string, string> }): Promise<Instance> {
  const base = `http://localhost:${port}`;
  const processEnv = { ...process.env, DATABASE_URL: databaseUrl, AUTH_SECRET: randomBytes(32).toString("base64url"), PORT: String(port), NEXT_TELEMETRY_DISABLED: "1", ...env };
  const lines: string[] = [];
  let child: ChildProcess;

  const start = async () => {
    child = spawn(process.execPath, SERVER_ENTRY_ARGS, { env: processEnv, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        lines.push(...chunk.split("\n").filter(Boolean));
        // The last lines are enough for a failure's message.
        lines.splice(0, Math.max(0, lines.length - 400));
      });
    }
    await expect.poll(() => fetch(`${base}/api/health`).then((response) => response.status, () => 0), { timeout: 90_000, message: `${base} did not become healthy` }).toBe(200);
  };
  const exited = () => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));

  await start();
  return {
    base,
    output: () => lines.join("\n"),
    restart: start,
    async kill() {
      child.kill("SIGKILL");
      await exited();
    },
    async terminate() {
      const started = Date.now();
      child.kill("SIGTERM");
      await exited();
      return { code: child.exitCode, ms: Date.now() - started };
    },
    async cli(...args) {
      const { stdout } = await exec("node_modules/.bin/tsx", [...SERVER_CONDITIONS, "scripts/cli.ts", ...args], { env: processEnv });
      return stdout.trimEnd().split("\n").at(-1)!;
    },
  };
}

/** An organization with an admin and the admin's API token, made with the CLI as an operator would. */
export async function adminToken(instance: Instance, org: string): Promise<Record<string, string>> {
  const email = `ops@${org.toLowerCase()}.test`;
  await instance.cli("user", "create", "--email", email, "--password", "correct horse battery", "--role", "admin", "--org", org);
  const token = await instance.cli("token", "create", "--email", email, "--name", "faults");
  return { "Content-Type": "application/json", Authorization: `Bearer ${token}` };
}

/**
 * Declares, in the enclosing describe block, a PostgreSQL cluster of its own and a production instance on it (the
 * fault tests stop, start and kill them), skipped without PostgreSQL's server binaries and removed after the block.
 * Call the answer in the test to start both.
 */
export function throwawayInstance({ port, env }: { port: number; env?: Record<string, string> }): () => Promise<{ cluster: ThrowawayPostgres; instance: Instance }> {
  test.skip(!postgresBinaries(), "needs Debian's PostgreSQL server binaries (/usr/lib/postgresql/<major>/bin)");
  test.setTimeout(240_000);
  let cluster: ThrowawayPostgres | undefined;
  let instance: Instance | undefined;
  test.afterAll(async () => {
    await instance?.kill();
    await cluster?.destroy();
  });
  return async () => {
    cluster = await startThrowawayPostgres();
    instance = await startInstance({ port, databaseUrl: cluster.url, env });
    return { cluster, instance };
  };
}
