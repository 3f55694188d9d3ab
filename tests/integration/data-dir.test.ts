import { execFile } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, describe, expect, it } from "vitest";
import { DataDirExposedError, prepareDataDir, tightenDataDir } from "@/db/data-dir";
import { controlSocketIn, lockFileIn } from "@/db/data-dir";
import { lockDataDir } from "@/db/pglite-lock";
import { startControlSocket } from "@/lib/server/control-socket";
import { SERVER_CONDITIONS } from "../../scripts/node-flags";

const exec = promisify(execFile);
const scratch = mkdtempSync(path.join(tmpdir(), "palisade-data-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every path under `dir` (itself included) that group or others can reach, with its mode. */
function exposed(dir: string): string[] {
  const found: string[] = [];
  const visit = (entry: string) => {
    const stats = lstatSync(entry);
    if ((stats.mode & 0o077) !== 0) found.push(`${(stats.mode & 0o777).toString(8)} ${path.relative(dir, entry)}`);
    if (stats.isDirectory()) readdirSync(entry).forEach((child) => visit(path.join(entry, child)));
  };
  visit(dir);
  return found;
}

describe("the embedded database's directory is its owner's only", () => {
  it("is created 0700, and every file in it ends up 0600, PGlite's own included", async () => {
    const dataDir = path.join(scratch, "fresh", "pglite");
    prepareDataDir(dataDir);
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
    const db = new PGlite(dataDir);
    await db.waitReady;
    tightenDataDir(dataDir);
    expect(exposed(dataDir)).toEqual([]);
    // Files PGlite creates later inherit the process's umask (prepareDataDir set it to 077).
    await db.exec("create table later (id int primary key); insert into later values (1); checkpoint;");
    await db.close();
    expect(exposed(dataDir)).toEqual([]);
  });

  it("refuses a directory others can reach, naming the chmod to run", () => {
    const dataDir = path.join(scratch, "exposed");
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    expect(() => prepareDataDir(dataDir)).toThrow(DataDirExposedError);
    expect(() => prepareDataDir(dataDir)).toThrow(`chmod -R go-rwx "${dataDir}"`);
    chmodSync(dataDir, 0o700);
    expect(() => prepareDataDir(dataDir)).not.toThrow();
  });

  it("keeps the lock file and the CLI socket inside the directory, private from the start", async () => {
    const dataDir = path.join(scratch, "side-files");
    prepareDataDir(dataDir);
    const unlock = lockDataDir(dataDir);
    const server = startControlSocket(dataDir);
    await new Promise((resolve) => server.once("listening", resolve));
    for (const file of [lockFileIn(dataDir), controlSocketIn(dataDir)]) {
      expect(path.dirname(file)).toBe(dataDir);
      expect(lstatSync(file).mode & 0o077).toBe(0);
    }
    await new Promise((resolve) => server.close(resolve));
    unlock();
  });

  it("npm start refuses to run on an exposed directory, with the chmod in its message", async () => {
    const dataDir = path.join(scratch, "start-exposed");
    mkdirSync(dataDir, { mode: 0o777 });
    chmodSync(dataDir, 0o777);
    writeFileSync(path.join(dataDir, "placeholder"), "");
    const started = exec("node_modules/.bin/tsx", [...SERVER_CONDITIONS, "scripts/start.ts"], { env: { ...process.env, DATABASE_URL: `pglite:${dataDir}`, PORT: "3999" } });
    const failure = await started.then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(`chmod -R go-rwx "${dataDir}"`);
  });
});
