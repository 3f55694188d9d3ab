import { chmodSync, rmSync } from "node:fs";
import { controlSocketIn, createPrivately } from "@/db/data-dir";
import { createServer, request, type Server } from "node:http";
import { runCommand } from "@/lib/cli/commands";
import { logError } from "@/lib/log";

interface CommandRequest {
  argv: string[];
  stdin: string;
  /** The files the options named, as the CLI process read them. */
  files?: Record<string, string>;
}
export interface CommandResult {
  code: number;
  output: { stream: "out" | "err"; line: string }[];
}

async function execute(body: CommandRequest): Promise<CommandResult> {
  const output: CommandResult["output"] = [];
  const code = await runCommand(body.argv, {
    out: (line) => output.push({ stream: "out", line }),
    err: (line) => output.push({ stream: "err", line }),
    stdin: body.stdin,
    // Only what the CLI sent: a command run here never reads the server's disk by a path the operator gave.
    files: body.files ?? {},
  });
  return { code, output };
}

/**
 * While a server holds the embedded database, `npm run cli` runs its commands inside that server through
 * a Unix socket inside the data directory. The directory is 0700 and the server's umask 077, so the socket is
 * private from the moment it exists: only the user who owns the data can use it, and never over the network.
 */
export function startControlSocket(dataDir: string): Server {
  const path = controlSocketIn(dataDir);
  rmSync(path, { force: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      Promise.resolve()
        .then(() => execute(JSON.parse(Buffer.concat(chunks).toString("utf8")) as CommandRequest))
        .catch((error: unknown): CommandResult => {
          logError("control socket command", error);
          return { code: 1, output: [{ stream: "err", line: "Error: the command failed; see the server log" }] };
        })
        .then((result) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result)));
    });
  });
  // Bound under umask 077: private from its first instant. The chmod only matters where the umask cannot be set.
  createPrivately(() => server.listen(path, () => chmodSync(path, 0o600)));
  process.once("exit", () => rmSync(path, { force: true }));
  return server;
}

/** Sends a CLI invocation to the server holding the data directory. */
export function sendToServer(dataDir: string, body: CommandRequest): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: controlSocketIn(dataDir), method: "POST", path: "/" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as CommandResult));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}
