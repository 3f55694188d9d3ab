/**
 * `npm run vercel-build`: the build Vercel runs (its Next.js builder prefers this script to `build`).
 *
 * On Vercel the database is PostgreSQL (a function's file system is read-only and not kept), so no function needs
 * PGlite's WebAssembly, file system image and extensions: 17 MB in every function. `outputFileTracingExcludes`
 * cannot keep them out: Turbopack applies it to the traces of pages and route handlers, but not to the trace of
 * instrumentation.ts, which Vercel adds to every function. So after `next build` this removes them from every
 * trace. PGlite's JavaScript stays: db/index.ts imports it in every function, and it loads without them.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env } from "@/lib/env";
import { NEXT_BIN } from "./build";

const TRACES_DIR = path.join(".next", "server");
const PGLITE_DATA_FILE = /node_modules\/@electric-sql\/pglite\/dist\/.*\.(wasm|data|tar\.gz)$/;

const databaseUrl = env().DATABASE_URL;
if (!databaseUrl || databaseUrl.startsWith("pglite:")) {
  console.error(
    "Palisade on Vercel needs PostgreSQL: set DATABASE_URL to a postgres:// connection string in the project's environment " +
      "variables, for this environment (Production, Preview) too. The embedded database cannot keep its data on Vercel.",
  );
  process.exit(1);
}

const build = spawnSync(process.execPath, [NEXT_BIN, "build"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

let trimmed = 0;
for (const entry of readdirSync(TRACES_DIR, { recursive: true }) as string[]) {
  if (!entry.endsWith(".nft.json")) continue;
  const traceFile = path.join(TRACES_DIR, entry);
  const trace = JSON.parse(readFileSync(traceFile, "utf8")) as { files: string[] };
  const files = trace.files.filter((file) => !PGLITE_DATA_FILE.test(file));
  if (files.length === trace.files.length) continue;
  writeFileSync(traceFile, JSON.stringify({ ...trace, files }));
  trimmed++;
}
console.log(`Removed PGlite's data files from ${trimmed} traces: on Vercel the database is PostgreSQL.`);
