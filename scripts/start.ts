/**
 * `npm start`: builds when the sources changed since the last build, migrates, creates the first admin
 * from ADMIN_EMAIL/ADMIN_PASSWORD when set, then runs the server entry (scripts/server.ts) and prints how to sign in.
 */
import { closeDatabase, databaseReady, describeDatabaseTarget, resolveDatabaseTarget } from "@/db";
import { countUsers } from "@/db/queries/users";
import { env } from "@/lib/env";
import { createAdminFromEnv } from "@/lib/server/bootstrap";
import { buildIfNeeded } from "./build";
import { prepareEnvironment, runServerEntry } from "./launch";
import { SERVER_ENTRY_ARGS } from "./node-flags";

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

prepareEnvironment();
const { PORT } = env();
buildIfNeeded();
const { users, createdAdmin } = await prepareDatabase();

/*
 * The server runs in a child process rather than in this one. In this one it would work too (closeDatabase()
 * above has released PGlite's data directory, which one process at a time may open, before the server opens
 * it), but a child
 * - is exactly the process a container runs with `node --import tsx/esm --import ./scripts/server-only-hook.mjs scripts/server.ts`: one way to run the
 *   server, not two;
 * - holds nothing but the server: not this process's build and migration code, nor tsx's CommonJS hooks, which
 *   every `require` of Next's compiled server code would pass through (tsx/esm only transforms the entry's own
 *   TypeScript imports);
 * - runs without this process's `--conditions=react-server` (scripts/node-flags.ts), which would apply to every
 *   `require` in the process, Next's and React's own included; Next sets that condition only for its
 *   react-server bundles. The entry's lean data plane imports `server-only` modules: scripts/server-only-hook.mjs
 *   resolves that one marker, and nothing else.
 * This process stays a thin parent: it forwards SIGINT/SIGTERM, prints the banner, and exits with the child's
 * code (143 after SIGTERM, as before).
 */
runServerEntry(SERVER_ENTRY_ARGS);

const base = `http://localhost:${PORT}`;
await waitUntilListening(base);
console.log(banner(base, users, createdAdmin));
