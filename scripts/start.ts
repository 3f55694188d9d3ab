/**
 * `npm start`: builds when the sources changed since the last build, migrates, creates the first admin
 * from ADMIN_EMAIL/ADMIN_PASSWORD when set, then runs `next start` and prints how to sign in.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { closeDatabase, databaseReady, describeDatabaseTarget, resolveDatabaseTarget } from "@/db";
import { countUsers } from "@/db/queries/users";
import { env } from "@/lib/env";
import { createAdminFromEnv } from "@/lib/server/bootstrap";
import { buildIfNeeded, NEXT_BIN } from "./build";

/** Sessions are signed with AUTH_SECRET. With the embedded database one is generated once and kept beside the data. */
function ensureAuthSecret(): void {
  if (process.env.AUTH_SECRET) return;
  const target = resolveDatabaseTarget();
  if (target.engine === "postgres" || !target.dataDir) {
    console.error("AUTH_SECRET is required with PostgreSQL, and must be the same on every instance. Generate one with: openssl rand -base64 32");
    process.exit(1);
  }
  const file = path.join(path.dirname(target.dataDir), "auth-secret");
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  }
  process.env.AUTH_SECRET = readFileSync(file, "utf8").trim();
}

async function prepareDatabase(): Promise<{ users: number; createdAdmin: string | null }> {
  await databaseReady();
  const createdAdmin = await createAdminFromEnv();
  const users = await countUsers();
  // The server opens the database itself; an embedded one must not be open in two processes.
  await closeDatabase();
  return { users, createdAdmin };
}

async function waitUntilListening(url: string): Promise<void> {
  for (;;) {
    try {
      await fetch(url, { redirect: "manual" });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function banner(base: string, users: number, createdAdmin: string | null): string {
  const lines = [`Palisade is running at ${base}`, `Database: ${describeDatabaseTarget(resolveDatabaseTarget())}`];
  if (users === 0) {
    lines.push(`No user exists yet. Create the first admin at ${base}/setup`);
    lines.push(`  (or restart with ADMIN_EMAIL and ADMIN_PASSWORD set, or run: npm run cli -- user create --email you@example.com --password - --role admin)`);
  } else {
    if (createdAdmin) lines.push(`Created the first admin ${createdAdmin} from ADMIN_EMAIL.`);
    lines.push(`Sign in at ${base}/login`);
  }
  lines.push(`API token: npm run cli -- token create --email you@example.com --name laptop`);
  const width = Math.max(...lines.map((line) => line.length));
  return ["", "=".repeat(width), ...lines, "=".repeat(width), ""].join("\n");
}

ensureAuthSecret();
const { PORT } = env();
buildIfNeeded();
const { users, createdAdmin } = await prepareDatabase();

// With no proxy in front, the client must not be able to choose its own address (scripts/forwarded-headers.mjs).
const preload = env().TRUSTED_PROXIES === 0 ? ["--import", pathToFileURL(path.resolve("scripts", "forwarded-headers.mjs")).href] : [];
const server = spawn(process.execPath, [...preload, NEXT_BIN, "start", "-p", String(PORT)], { stdio: "inherit", env: process.env });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

const base = `http://localhost:${PORT}`;
await waitUntilListening(base);
console.log(banner(base, users, createdAdmin));
