/**
 * Runs `vercel build` (the pinned CLI in node_modules) on a copy of the working tree, so it never touches the
 * checkout's `.next/`, and reads back what it wrote to `.vercel/output`. No account and no network: the project's
 * settings and environment come from tests/vercel/fixture/.vercel (project.json, .env.preview.local), which is what
 * `vercel pull` would have written.
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const REPO = path.resolve(import.meta.dirname, "../..");
const FIXTURE = path.join(import.meta.dirname, "fixture");
// A cold `vercel build` takes about 2 minutes on 2 cores; beyond this something hangs.
const BUILD_TIMEOUT_MS = 15 * 60_000;
const LOG_TAIL_LINES = 60;

/** A function's `.vc-config.json` (Build Output API v3), the fields the checks read. */
export interface FunctionConfig {
  runtime: string;
  handler: string;
  launcherType?: string;
  maxDuration?: number;
  supportsResponseStreaming?: boolean;
  /** Files shipped from the build tree rather than copied into the function's directory: path in function → path in tree. */
  filePathMap?: Record<string, string>;
}

export interface VercelFunction {
  /** Its path under `.vercel/output/functions`, without `.func`: `api/agents/stream`. */
  name: string;
  config: FunctionConfig;
  /** Every file the function ships, relative to its root (`/var/task` on Vercel). */
  files: Set<string>;
  /** Where the content of one of {@link files} is on this machine. */
  source: (file: string) => string;
}

export interface VercelBuild {
  /** The copy of the working tree that was built. */
  tree: string;
  /** Functions by name; names that `vercel build` wrote as symlinks to another function share its object. */
  functions: Map<string, VercelFunction>;
  /** Copies one function's files, and nothing else, into a new directory: what its instance would see. */
  materialize: (fn: VercelFunction) => string;
  remove: () => void;
}

export async function buildForVercel(): Promise<VercelBuild> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "palisade-vercel-"));
  const tree = path.join(workDir, "tree");
  copyWorkingTree(tree);
  fs.cpSync(path.join(FIXTURE, ".vercel"), path.join(tree, ".vercel"), { recursive: true });
  await runVercelBuild(tree, workDir);
  let materialized = 0;
  return {
    tree,
    functions: readFunctions(tree),
    materialize: (fn) => materialize(fn, path.join(workDir, `function-${++materialized}`)),
    remove: () => {
      if (process.env.KEEP_VERCEL_BUILD) console.warn(`vercel build kept in ${workDir}`);
      else fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Tracked and untracked (not ignored) files as they are now, and node_modules as hard links. */
function copyWorkingTree(tree: string): void {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  for (const file of listed.split("\0")) {
    const from = path.join(REPO, file);
    // A tracked file deleted in the working tree is listed too.
    if (!file || !fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    fs.cpSync(from, path.join(tree, file), { verbatimSymlinks: true });
  }
  linkTree(path.join(REPO, "node_modules"), path.join(tree, "node_modules"));
}

/**
 * Mirrors a directory with hard links: node_modules (1.3 GB, 90,000 files) in seconds and no space. Turbopack
 * refuses a node_modules symlinked from outside the project. Falls back to copying across file systems.
 */
function linkTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, target);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target);
    else {
      try {
        fs.linkSync(source, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
        fs.copyFileSync(source, target);
      }
    }
  }
}

/**
 * Nothing from this shell reaches the build but what a build needs to run: no DATABASE_URL or AUTH_SECRET of the
 * developer's, no VERCEL_TOKEN or VERCEL_PROJECT_ID that would point the CLI at a real project.
 */
function buildEnv(): NodeJS.ProcessEnv {
  const passed = ["PATH", "HOME", "TMPDIR", "LANG"].filter((name) => process.env[name] !== undefined);
  return {
    ...Object.fromEntries(passed.map((name) => [name, process.env[name]])),
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    VERCEL_TELEMETRY_DISABLED: "1",
    NO_UPDATE_NOTIFIER: "1",
  };
}

async function runVercelBuild(tree: string, workDir: string): Promise<void> {
  const logFile = path.join(workDir, "vercel-build.log");
  const log = fs.openSync(logFile, "w");
  // Its own global config directory: the developer's login is neither read nor needed.
  const args = ["build", "--global-config", path.join(workDir, "cli-config")];
  const child = spawn(path.join(tree, "node_modules", ".bin", "vercel"), args, { cwd: tree, env: buildEnv(), stdio: ["ignore", log, log], timeout: BUILD_TIMEOUT_MS });
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  fs.closeSync(log);
  if (code === 0) return;
  const tail = fs.readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-LOG_TAIL_LINES).join("\n");
  throw new Error(`vercel build failed (${signal ?? `exit ${code}`}); its log is ${logFile}:\n${tail}`);
}

function readFunctions(tree: string): Map<string, VercelFunction> {
  const functionsDir = path.join(tree, ".vercel", "output", "functions");
  const byDirectory = new Map<string, VercelFunction>();
  const functions = new Map<string, VercelFunction>();
  for (const funcPath of findFunctionDirs(functionsDir)) {
    const name = path.relative(functionsDir, funcPath).replace(/\.func$/, "").split(path.sep).join("/");
    const dir = fs.realpathSync(funcPath);
    let fn = byDirectory.get(dir);
    if (!fn) {
      const config = JSON.parse(fs.readFileSync(path.join(dir, ".vc-config.json"), "utf8")) as FunctionConfig;
      const written = (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
        .filter((entry) => !entry.isDirectory())
        .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"));
      const mapped = config.filePathMap ?? {};
      fn = {
        name,
        config,
        files: new Set([...written, ...Object.keys(mapped)]),
        source: (file) => (file in mapped ? path.join(tree, mapped[file]!) : path.join(dir, file)),
      };
      byDirectory.set(dir, fn);
    }
    functions.set(name, fn);
  }
  return functions;
}

/** Every `<name>.func` below the functions directory, whether a directory or a symlink to another function. */
function findFunctionDirs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const entryPath = path.join(dir, entry.name);
    if (entry.name.endsWith(".func")) return [entryPath];
    return entry.isDirectory() ? findFunctionDirs(entryPath) : [];
  });
}

function materialize(fn: VercelFunction, dir: string): string {
  for (const file of fn.files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.cpSync(fn.source(file), path.join(dir, file), { verbatimSymlinks: true });
  }
  return dir;
}
