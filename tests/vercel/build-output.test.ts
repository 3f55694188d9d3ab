/**
 * What `vercel build` makes of Palisade (`npm run test:vercel`): each check below is a way a deployment would
 * break or bloat on Vercel while `npm start` works fine. The functions are then started from their own files
 * alone, on a fresh PostgreSQL database, when TEST_DATABASE_URL is set.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildForVercel, type VercelBuild, type VercelFunction } from "./vercel-build";

const REPO = path.resolve(import.meta.dirname, "../..");
const STREAM_ROUTES = ["api/agents/stream", "api/events"];
// PGlite's WebAssembly, its file system image and its extensions: megabytes a function on PostgreSQL never reads.
const PGLITE_DATA_FILE = /^node_modules\/@electric-sql\/pglite\/.*\.(wasm|data|tar\.gz)$/;
const MIGRATION_JOURNAL = "db/migrations/meta/_journal.json";
// A function that fails to start never answers: fail in seconds rather than at the test's timeout.
const REQUEST_TIMEOUT_MS = 20_000;

let build: VercelBuild;

beforeAll(async () => {
  build = await buildForVercel();
});

afterAll(() => build?.remove());

/** `app/api/agents/[id]/route.ts` → `api/agents/[id]`; route groups like `(auth)` are not part of the path. */
function routeHandlerPaths(): string[] {
  return (fs.readdirSync(path.join(REPO, "app"), { recursive: true }) as string[])
    .filter((file) => path.basename(file) === "route.ts")
    .map((file) => path.dirname(file).split(path.sep).filter((segment) => !/^\(.+\)$/.test(segment)).join("/"))
    .sort();
}

function migrationFiles(): string[] {
  const journal = JSON.parse(fs.readFileSync(path.join(REPO, MIGRATION_JOURNAL), "utf8")) as { entries: { tag: string }[] };
  return [MIGRATION_JOURNAL, ...journal.entries.map(({ tag }) => `db/migrations/${tag}.sql`)];
}

function functionNamed(name: string): VercelFunction {
  const fn = build.functions.get(name);
  if (!fn) throw new Error(`no function ${name} in .vercel/output/functions`);
  return fn;
}

/** Each function once, though several names may point at it. */
function nodeFunctions(): VercelFunction[] {
  return [...new Set(build.functions.values())].filter((fn) => fn.config.runtime.startsWith("nodejs"));
}

/** The one file of a function whose path matches, for files whose names carry a hash. */
function shippedFile(fn: VercelFunction, pattern: RegExp): string {
  const matches = [...fn.files].filter((file) => pattern.test(file));
  expect(matches, `${fn.name} ships exactly one file matching ${pattern}`).toHaveLength(1);
  return matches[0]!;
}

/** Runs a script with only the function's files around it, as on Vercel: nothing else can be resolved. */
function runInFunction(fn: VercelFunction, script: string): string {
  const dir = build.materialize(fn);
  return execFileSync(process.execPath, ["--input-type=module", "--eval", script], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH, NODE_ENV: "production" } });
}

describe("vercel build", () => {
  it("turns every route handler into a Node.js function that streams its response", () => {
    const routes = routeHandlerPaths();
    expect(routes).toContain("api/agents/stream");
    expect(routes.filter((route) => !build.functions.has(route))).toEqual([]);
    for (const route of routes) {
      const { config, files } = functionNamed(route);
      expect(config.runtime, route).toMatch(/^nodejs\d+\.x$/);
      expect(files, route).toContain(config.handler);
      expect(config.supportsResponseStreaming, route).toBe(true);
    }
  });

  it.each(STREAM_ROUTES)("keeps the maxDuration %s declares", (route) => {
    const source = fs.readFileSync(path.join(REPO, "app", route, "route.ts"), "utf8");
    const declared = Number(/^export const maxDuration = (\d+);$/m.exec(source)?.[1]);
    expect(declared, `app/${route}/route.ts declares its maxDuration`).toBeGreaterThan(0);
    expect(functionNamed(route).config.maxDuration).toBe(declared);
  });

  it("gives routes that declare no maxDuration the platform's default", () => {
    expect(functionNamed("api/health").config.maxDuration).toBeUndefined();
  });

  it("ships every migration in every function, since whichever starts first applies them", () => {
    const migrations = migrationFiles();
    expect(migrations.length).toBeGreaterThan(1);
    for (const fn of nodeFunctions()) expect(migrations.filter((file) => !fn.files.has(file)), fn.name).toEqual([]);
  });

  it("ships argon2 and its native binding in every function, since instrumentation.ts may create the first admin", () => {
    const bindings = fs.readdirSync(path.join(REPO, "node_modules/@node-rs")).filter((name) => name.startsWith("argon2-"));
    expect(bindings, "the platform package npm installed").toHaveLength(1);
    const binding = new RegExp(`^node_modules/@node-rs/${bindings[0]}/.*\\.node$`);
    for (const fn of nodeFunctions()) {
      expect(fn.files, fn.name).toContain("node_modules/@node-rs/argon2/index.js");
      shippedFile(fn, binding);
    }
  });

  it("loads argon2 and hashes a password with nothing but the sign-in function's files", () => {
    const signIn = functionNamed("api/auth/[...nextauth]");
    const link = shippedFile(signIn, /^\.next\/node_modules\/@node-rs\/argon2-[0-9a-f]+$/);
    const out = runInFunction(
      signIn,
      `import { createRequire } from "node:module";
       const { hash, verify } = createRequire(import.meta.url)("./${link}");
       const digest = await hash("correct horse battery staple");
       console.log(digest.split("$")[1], await verify(digest, "correct horse battery staple"));`,
    );
    expect(out.trim()).toBe("argon2id true");
  });

  it("ships none of PGlite's data files: on Vercel DATABASE_URL is PostgreSQL", () => {
    const shipped = nodeFunctions().flatMap((fn) => [...fn.files].filter((file) => PGLITE_DATA_FILE.test(file)).map((file) => `${fn.name}: ${file}`));
    expect(shipped).toEqual([]);
  });

  it("still loads PGlite's JavaScript, which db/index.ts imports in every function", () => {
    const health = functionNamed("api/health");
    const link = shippedFile(health, /^\.next\/node_modules\/@electric-sql\/pglite-[0-9a-f]+$/);
    const out = runInFunction(health, `const { PGlite } = await import("./${link}/dist/index.js"); console.log(typeof PGlite);`);
    expect(out.trim()).toBe("function");
  });

  it.each([
    ["unset", undefined],
    ["the embedded database", "pglite:data"],
  ])("refuses to build for Vercel with DATABASE_URL %s", (_, databaseUrl) => {
    const run = spawnSync(path.join(build.tree, "node_modules/.bin/tsx"), ["scripts/vercel-build.ts"], {
      cwd: build.tree,
      encoding: "utf8",
      env: { PATH: process.env.PATH, NODE_ENV: "production", ...(databaseUrl && { DATABASE_URL: databaseUrl }) },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("Palisade on Vercel needs PostgreSQL");
  });
});

/** A function served the way Vercel calls it: its launcher's (req, res) handler, on a port of its own. */
interface RunningFunction {
  url: string;
  process: ChildProcess;
}

async function startFunction(fn: VercelFunction, env: NodeJS.ProcessEnv): Promise<RunningFunction> {
  const serve = `require("node:http").createServer(require("./${fn.config.handler}")).listen(0, "127.0.0.1", function () { console.log("port " + this.address().port); });`;
  const child = spawn(process.execPath, ["--eval", serve], { cwd: build.materialize(fn), env, stdio: ["ignore", "pipe", "inherit"] });
  for await (const line of createInterface({ input: child.stdout! })) {
    const port = /^port (\d+)$/.exec(line)?.[1];
    if (port) return { url: `http://127.0.0.1:${port}`, process: child };
  }
  throw new Error(`${fn.name} exited (${child.exitCode}) before listening`);
}

describe.runIf(process.env.TEST_DATABASE_URL)("functions started from their own files on a fresh PostgreSQL database", () => {
  const databaseName = `palisade_vercel_${randomBytes(6).toString("hex")}`;
  const server = postgres(process.env.TEST_DATABASE_URL ?? "", { max: 1, onnotice: () => {} });
  const running: RunningFunction[] = [];
  let database: postgres.Sql;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await server.unsafe(`create database ${databaseName}`);
    const databaseUrl = new URL(process.env.TEST_DATABASE_URL!);
    databaseUrl.pathname = `/${databaseName}`;
    database = postgres(databaseUrl.toString(), { max: 1, onnotice: () => {} });
    env = {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl.toString(),
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      ADMIN_EMAIL: "first-admin@example.test",
      ADMIN_PASSWORD: "vercel cold start password",
      TRUSTED_PROXIES: "1",
    };
  });

  afterAll(async () => {
    // The functions hold SSE streams and LISTEN connections open; nothing here needs a graceful stop.
    for (const { process: child } of running) child.kill("SIGKILL");
    await database?.end();
    await server.unsafe(`drop database if exists ${databaseName} with (force)`);
    await server.end();
  });

  it("migrates, creates the first admin with an argon2id hash, and answers the health check", async () => {
    const api = await startFunction(functionNamed("api/health"), env);
    running.push(api);
    const response = await fetch(`${api.url}/api/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    expect(await response.json()).toEqual({ status: "ok" });
    const applied = await database`select count(*)::int as count from drizzle.__drizzle_migrations`;
    expect(applied[0]!.count).toBe(migrationFiles().length - 1);
    const admins = await database`select email, password_hash from users`;
    expect(admins).toHaveLength(1);
    expect(admins[0]!.email).toBe(env.ADMIN_EMAIL);
    expect(admins[0]!.password_hash).toMatch(/^\$argon2id\$/);
  });

  it("serves the agent stream's function, which refuses an agent without a token", async () => {
    const streams = await startFunction(functionNamed("api/agents/stream"), env);
    running.push(streams);
    const response = await fetch(`${streams.url}/api/agents/stream`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ ok: false });
  });
});
