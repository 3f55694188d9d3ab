import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of its own, in a temporary folder, on a free port: for the fault tests, which stop it,
 * start it again and kill what talks to it. The machine's shared server (the one TEST_DATABASE_URL names, used by
 * other tests at the same time) is never touched.
 */
export interface ThrowawayPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust authentication. */
  readonly url: string;
  readonly port: number;
  /** Stops the server as an operator would (`pg_ctl stop -m fast`: open sessions are terminated with 57P01). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it at once if it runs, and deletes its folder. */
  destroy(): Promise<void>;
}

/** The newest Debian PostgreSQL server binaries (`/usr/lib/postgresql/<major>/bin`), or null when none is installed. */
export function postgresBinaries(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((name) => existsSync(path.join(root, name, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? path.join(root, majors[0], "bin") : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** initdb and the server refuse to run as root: as root (CI), they run as Debian's `postgres` user. */
async function serverUser(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const id = async (flag: string) => Number((await run("id", [flag, "postgres"])).stdout.trim());
  return { uid: await id("-u"), gid: await id("-g") };
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error("No PostgreSQL server binaries under /usr/lib/postgresql (Debian's postgresql package)");
  const user = await serverUser();
  const folder = mkdtempSync(path.join(tmpdir(), "palisade-pg-"));
  if (user) chownSync(folder, user.uid, user.gid);
  const data = path.join(folder, "data");
  const port = await freePort();
  const tool = (name: string, args: string[]) => run(path.join(bin, name), args, { ...(user ?? {}), cwd: folder, timeout: 60_000 });

  await tool("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
  // Its own socket folder (not /var/run/postgresql, which belongs to the machine's server); fsync off: the tests
  // stop and start the server cleanly, and never crash it, so durability on power loss is not what they measure.
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => tool("pg_ctl", ["-D", data, "-l", path.join(folder, "server.log"), "-o", options, "-w", "-t", "60", "start"]).then(() => {});
  let running = false;
  await start();
  running = true;

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await tool("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await tool("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      running = false;
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
