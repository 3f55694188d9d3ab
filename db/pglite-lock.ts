import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { lockFileIn } from "./data-dir";

/** PGlite is a single-process database: two processes on one data directory would corrupt it. This lock prevents that. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`The embedded database in ${dataDir} is in use by process ${pid} (a running Palisade server). Stop that process first.`);
    this.name = "DataDirInUseError";
  }
}


function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid of another live process holding the data directory, or null. */
export function dataDirHolder(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(lockFileIn(dataDir), "utf8"));
  } catch {
    return null;
  }
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : null;
}

/** Takes the data directory for this process, or throws {@link DataDirInUseError}. A lock left by a dead process is taken over. */
export function lockDataDir(dataDir: string): () => void {
  const holder = dataDirHolder(dataDir);
  if (holder !== null) throw new DataDirInUseError(dataDir, holder);
  const file = lockFileIn(dataDir);
  writeFileSync(file, String(process.pid), { mode: 0o600 });
  const release = () => {
    try {
      if (readFileSync(file, "utf8") === String(process.pid)) rmSync(file);
    } catch {
      // Already gone.
    }
  };
  process.once("exit", release);
  return () => {
    process.off("exit", release);
    release();
  };
}
