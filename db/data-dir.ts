import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";

/**
 * The embedded database's directory holds password hashes, sealed TOTP secrets and token hashes, and beside them
 * the server's auth secret, lock file and CLI socket: it belongs to the user who runs Palisade and nobody else.
 */
export class DataDirExposedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly mode: number,
  ) {
    super(
      `The embedded database directory ${dataDir} is accessible to other users (mode ${mode.toString(8).padStart(4, "0")}). ` +
        `Palisade refuses to run with it until only its owner can reach it. Run: chmod -R go-rwx ${JSON.stringify(dataDir)}`,
    );
    this.name = "DataDirExposedError";
  }
}

const OTHERS = 0o077;

/** Runs `create` with umask 077, so what it creates is its owner's only from the first instant. */
export function createPrivately<T>(create: () => T): T {
  let previous: number | null = null;
  try {
    previous = process.umask(0o077);
  } catch {
    // Worker threads cannot change the umask; callers tighten what they created.
  }
  try {
    return create();
  } finally {
    if (previous !== null) process.umask(previous);
  }
}

/**
 * Makes sure the data directory is private before anything is written to it: files this process creates from now
 * on are its owner's only (umask 077), a new directory is created 0700, and an existing one that group or others
 * can reach is refused with the `chmod` that fixes it.
 */
export function prepareDataDir(dataDir: string): void {
  try {
    process.umask(0o077);
  } catch {
    // Worker threads cannot change the umask; the process that started them already did (npm start), and
    // tightenDataDir catches the rest.
  }
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return;
  }
  const { mode } = lstatSync(dataDir);
  if ((mode & OTHERS) !== 0) throw new DataDirExposedError(dataDir, mode & 0o7777);
}

/**
 * Takes group and other permissions off everything in the data directory. PGlite's first start unpacks its
 * initial files with mode 0666 whatever the umask; this runs after it, and again periodically.
 */
export function tightenDataDir(dataDir: string): void {
  const pending = [dataDir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    const stats = lstatSync(current, { throwIfNoEntry: false });
    if (!stats || stats.isSymbolicLink()) continue;
    try {
      if ((stats.mode & OTHERS) !== 0) chmodSync(current, stats.mode & 0o700);
    } catch (error) {
      // PGlite may remove a file (a recycled WAL segment) between the listing and the chmod.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (stats.isDirectory()) for (const entry of readdirSync(current)) pending.push(path.join(current, entry));
  }
}

/** Files Palisade keeps inside the data directory, beside PGlite's own: the lock, the CLI socket, the auth secret. */
export const lockFileIn = (dataDir: string) => path.join(dataDir, "palisade.pid");
export const controlSocketIn = (dataDir: string) => path.join(dataDir, "palisade.sock");
export const authSecretFileIn = (dataDir: string) => path.join(dataDir, "palisade-auth-secret");
