/**
 * A benchmark worker: holds thousands of SSE connections on raw sockets (a few KB each) and reports, per
 * connection, when each `policy_version` event arrived. Run by bench/sse.ts as a child process, because one
 * process may hold at most RLIMIT_NOFILE sockets.
 */
import http from "node:http";
import net from "node:net";

export type WorkerCommand =
  | {
      type: "connect";
      host: string;
      port: number;
      path: string;
      /** One per connection; "" for the floor server, which needs none. */
      tokens: string[];
      /** Spread sockets over 127.0.0.x source addresses so 20,000 fit in the ephemeral port range. */
      sourceAddresses: string[];
      concurrency: number;
      heartbeat: boolean;
    }
  | { type: "collect"; round: number; timeoutMs: number }
  | { type: "heartbeatAfterApply"; enabled: boolean }
  | { type: "close" };

export type WorkerReport =
  | { type: "connected"; connected: number; failed: number; lastConnectedAt: number }
  | { type: "collected"; round: number; arrivals: number[] };

const INITIAL = "event: policy\n";
const VERSION = "event: policy_version\n";
const VERSION_LABEL = /"policyVersion":"(v\d+)"/;

class Connection {
  versionsSeen = 0;
  arrivals: number[] = [];
  private carry = "";

  constructor(
    private readonly socket: net.Socket,
    private readonly token: string,
    private readonly onInitial: (connection: Connection, version: string | null) => void,
    private readonly onVersion: (connection: Connection, version: string | null) => void,
  ) {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => this.read(chunk));
  }

  get authToken(): string {
    return this.token;
  }

  /** Counts markers across chunk boundaries; the carried tail is too short to hold a whole marker twice. */
  private read(chunk: string): void {
    const now = performance.timeOrigin + performance.now();
    const text = this.carry + chunk;
    const count = (marker: string) => {
      let found = 0;
      for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + 1)) if (at + marker.length > this.carry.length) found++;
      return found;
    };
    const label = VERSION_LABEL.exec(text)?.[1] ?? null;
    if (count(INITIAL) > 0) this.onInitial(this, label);
    for (let i = count(VERSION); i > 0; i--) {
      this.versionsSeen++;
      this.arrivals.push(now);
      this.onVersion(this, label);
    }
    this.carry = text.slice(-(VERSION.length - 1));
  }

  close(): void {
    this.socket.destroy();
  }
}

const connections: Connection[] = [];
let heartbeatAfterApply = false;
let heartbeatUrl: URL | null = null;
const heartbeatAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function send(report: WorkerReport): void {
  process.send?.(report);
}

function heartbeat(connection: Connection, version: string | null, delayMs: number): void {
  if (!heartbeatUrl || !connection.authToken) return;
  const url = heartbeatUrl;
  setTimeout(() => {
    const body = JSON.stringify({ policyVersion: version });
    const request = http.request(url, {
      method: "POST",
      agent: heartbeatAgent,
      headers: { Authorization: `Bearer ${connection.authToken}`, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
    });
    request.on("response", (response) => response.resume());
    request.on("error", () => {});
    request.end(body);
  }, delayMs);
}

async function connectAll(command: Extract<WorkerCommand, { type: "connect" }>): Promise<void> {
  const before = connections.length;
  heartbeatUrl = command.heartbeat ? new URL(`http://${command.host}:${command.port}/api/agents/heartbeat`) : null;
  let next = 0;
  let failed = 0;
  let lastConnectedAt = 0;
  const openOne = (index: number) =>
    new Promise<void>((resolve) => {
      const token = command.tokens[index] ?? "";
      const socket = net.connect({ host: command.host, port: command.port, localAddress: command.sourceAddresses[index % command.sourceAddresses.length] });
      new Connection(
        socket,
        token,
        (opened, version) => {
          lastConnectedAt = performance.timeOrigin + performance.now();
          connections.push(opened);
          // Like the reference agent: one heartbeat after the first snapshot, spread over 2 s.
          heartbeat(opened, version, Math.random() * 2000);
          resolve();
        },
        (updated, version) => {
          if (heartbeatAfterApply) heartbeat(updated, version, Math.random() * 2000);
        },
      );
      socket.on("error", () => {
        failed++;
        resolve();
      });
      socket.write(
        `GET ${command.path} HTTP/1.1\r\nHost: ${command.host}:${command.port}\r\nAccept: text/event-stream\r\n` +
          (token ? `Authorization: Bearer ${token}\r\n` : "") +
          "\r\n",
      );
    });
  const lanes = Array.from({ length: command.concurrency }, async () => {
    while (next < command.tokens.length) await openOne(next++);
  });
  await Promise.all(lanes);
  send({ type: "connected", connected: connections.length - before, failed, lastConnectedAt });
}

async function collect(round: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && connections.some((connection) => connection.versionsSeen < round)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const arrivals = connections.flatMap((connection) => (connection.arrivals.length >= round ? [connection.arrivals[round - 1]!] : []));
  send({ type: "collected", round, arrivals });
}

process.on("message", (command: WorkerCommand) => {
  switch (command.type) {
    case "connect":
      void connectAll(command);
      break;
    case "collect":
      void collect(command.round, command.timeoutMs);
      break;
    case "heartbeatAfterApply":
      heartbeatAfterApply = command.enabled;
      break;
    case "close":
      connections.forEach((connection) => connection.close());
      process.exit(0);
  }
});
