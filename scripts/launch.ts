/**
 * What `npm start` (scripts/start.ts) and the container image's command (scripts/docker-start.ts) share: the checks
 * of the environment made before anything starts, and running the server entry as a child process.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { resolveDatabaseTarget } from "@/db";
import { authSecretFileIn, DataDirExposedError, prepareDataDir } from "@/db/data-dir";

/**
 * Sessions are signed with AUTH_SECRET. With the embedded database one is generated once and kept inside the
 * (private) data directory. Earlier versions kept it beside the directory, possibly in a shared folder: it is
 * moved in, not regenerated, since TOTP secrets are sealed with a key derived from it.
 */
function ensureAuthSecret(dataDir: string): void {
  const file = authSecretFileIn(dataDir);
  const legacy = path.join(path.dirname(dataDir), "auth-secret");
  if (!existsSync(file)) {
    const secret = existsSync(legacy) ? readFileSync(legacy, "utf8").trim() : randomBytes(32).toString("base64url");
    writeFileSync(file, secret, { mode: 0o600 });
    rmSync(legacy, { force: true });
  }
  process.env.AUTH_SECRET = readFileSync(file, "utf8").trim();
}

/** Checks the environment and the embedded data directory before anything starts; exits with the reason if they are unusable. */
export function prepareEnvironment(): void {
  const target = resolveDatabaseTarget();
  try {
    if (target.engine === "pglite" && target.dataDir) prepareDataDir(target.dataDir);
  } catch (error) {
    if (!(error instanceof DataDirExposedError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  if (process.env.AUTH_SECRET) return;
  if (target.engine === "postgres" || !target.dataDir) {
    console.error("AUTH_SECRET is required with PostgreSQL, and must be the same on every instance. Generate one with: openssl rand -base64 32");
    process.exit(1);
  }
  ensureAuthSecret(target.dataDir);
}

/**
 * Runs the server entry (`node <args>`) as a child with this process's environment. This process forwards
 * SIGINT/SIGTERM to it and exits with its code (143 after SIGTERM).
 */
export function runServerEntry(args: readonly string[]): void {
  const server = spawn(process.execPath, args, { stdio: "inherit", env: process.env });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.kill(signal));
  server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
