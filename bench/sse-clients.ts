/**
 * A benchmark worker: holds thousands of SSE connections on raw sockets (a few KB each) and reports, per
 * connection, when each `policy_version` event arrived. Run by bench/sse.ts as a child process, because one
 * process may hold at most RLIMIT_NOFILE sockets. Each connection behaves like the reference agent where it
 * matters here: it remembers the last event id and resumes from it, waits out a 503's Retry-After, and
 * heartbeats 0–2 s after its first snapshot and (when asked) after applying a version.
 */
import http from "node:http";
import net from "node:net";

export type WorkerCommand =
  | {
      type: "connect";
      host: string;
      /** Connection i goes to ports[i % ports.length]: several instances share the fleet. */
      ports: number[];
      path: string;
      /** One per connection; "" for the floor server, which needs none. */
      tokens: string[];
      /** Spread sockets over 127.0.0.x source addresses so 20,000 fit in the ephemeral port range. */
      sourceAddresses: string[];
      concurrency: number;
      heartbeat: boolean;
    }
  /** Every connection whose stream ended opens a new one, resuming from its last event id. */
  | { type: "reconnect"; concurrency: number }
  | { type: "collect"; round: number; timeoutMs: number }
  | { type: "heartbeatAfterApply"; enabled: boolean }
  /** Reports once the server has ended every stream (it is restarting). */
  | { type: "awaitClosed" }
  /** Drops every socket at once, as a fleet whose network vanished. */
  | { type: "kill" }
  | { type: "exit" };

export type WorkerReport =
  | { type: "connected"; connected: number; failed: number; refused: number; lastConnectedAt: number }
  | { type: "closed"; open: number }
  | { type: "collected"; round: number; arrivals: number[]; heartbeatsFailed: number }
  | { type: "killed" };

const VERSION_LABEL = /"policyVersion":"(v\d+)"/;
const now = () => performance.timeOrigin + performance.now();

let heartbeatAfterApply = false;
/** Heartbeats that failed (and were sent again): reported with every collection. */
let heartbeatsFailed = 0;
const heartbeatAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });

interface Endpoint {
  host: string;
  port: number;
  path: string;
  sourceAddress: string;
  heartbeat: boolean;
}

class Connection {
  versionsSeen = 0;
  arrivals: number[] = [];
  lastEventId: string | null = null;
  isOpen = false;
  /** 503s answered to this connection's attempts (it waited out each Retry-After). */
  refusals = 0;
  private socket: net.Socket | null = null;
  private head = "";
  /** The body's chunked transfer coding, undone: bytes of the current chunk still to come (-1: its CRLF). */
  private chunked = false;
  private undecoded = "";
  private chunkLeft = 0;
  /** Decoded text not yet ending an event. */
  private pending = "";

  constructor(
    readonly token: string,
    private readonly endpoint: Endpoint,
  ) {}

  /**
   * Opens the stream; resolves true once it is held (the 200 response, and on a first connection the snapshot),
   * false when it failed. A 503 is retried after its Retry-After.
   */
  open(resume: boolean): Promise<boolean> {
    return new Promise((resolve) => {
      const { host, port, path, sourceAddress } = this.endpoint;
      const socket = net.connect({ host, port, localAddress: sourceAddress });
      this.socket = socket;
      this.head = "";
      this.undecoded = "";
      this.chunkLeft = 0;
      this.pending = "";
      let settled = false;
      const settle = (held: boolean) => {
        if (settled) return;
        settled = true;
        resolve(held);
      };
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => {
        if (this.isOpen) return this.read(chunk, settle);
        this.head += chunk;
        const end = this.head.indexOf("\r\n\r\n");
        if (end === -1) return;
        const status = Number(this.head.slice(9, 12));
        const body = this.head.slice(end + 4);
        if (status === 503) {
          this.refusals++;
          const retryAfter = Number(/\r\nretry-after: (\d+)/i.exec(this.head)?.[1] ?? 5);
          socket.destroy();
          setTimeout(() => void this.open(resume).then(settle), retryAfter * 1000);
          return;
        }
        if (status !== 200) {
          socket.destroy();
          return settle(false);
        }
        this.isOpen = true;
        this.chunked = /\r\ntransfer-encoding: chunked/i.test(this.head);
        if (resume) settle(true);
        this.read(body, settle);
      });
      socket.on("error", () => settle(false));
      socket.on("close", () => {
        if (this.socket === socket) this.isOpen = false;
      });
      const lastEventId = resume && this.lastEventId ? `Last-Event-ID: ${this.lastEventId}\r\n` : "";
      const authorization = this.token ? `Authorization: Bearer ${this.token}\r\n` : "";
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: text/event-stream\r\n${authorization}${lastEventId}\r\n`);
    });
  }

  /** Undoes the chunked transfer coding; the socket is read as latin1, so one character is one byte. */
  private decode(input: string): string {
    if (!this.chunked) return input;
    this.undecoded += input;
    let out = "";
    for (;;) {
      if (this.chunkLeft > 0) {
        const data = this.undecoded.slice(0, this.chunkLeft);
        out += data;
        this.chunkLeft -= data.length;
        this.undecoded = this.undecoded.slice(data.length);
        if (this.chunkLeft > 0) return out;
        this.chunkLeft = -1;
      }
      if (this.chunkLeft === -1) {
        if (this.undecoded.length < 2) return out;
        this.undecoded = this.undecoded.slice(2);
        this.chunkLeft = 0;
      }
      const end = this.undecoded.indexOf("\r\n");
      if (end === -1) return out;
      this.chunkLeft = parseInt(this.undecoded.slice(0, end), 16);
      this.undecoded = this.undecoded.slice(end + 2);
      if (this.chunkLeft === 0) return out;
    }
  }

  /** Reads whole events: the first snapshot, and each `policy_version`, timed as it completes. */
  private read(chunk: string, onSnapshot: (held: boolean) => void): void {
    const arrivedAt = now();
    const events = (this.pending + this.decode(chunk)).split("\n\n");
    this.pending = events.pop()!;
    for (const event of events) {
      const id = /(?:^|\n)id: (\d+)/.exec(event)?.[1];
      if (id) this.lastEventId = id;
      const name = /(?:^|\n)event: (\w+)/.exec(event)?.[1];
      const version = VERSION_LABEL.exec(event)?.[1] ?? null;
      if (name === "policy") {
        onSnapshot(true);
        // Like the reference agent: one heartbeat after the first snapshot, spread over 2 s.
        this.heartbeat(version);
      } else if (name === "policy_version") {
        this.versionsSeen++;
        this.arrivals.push(arrivedAt);
        if (heartbeatAfterApply) this.heartbeat(version);
      }
    }
  }

  /** Sends a heartbeat 0–2 s from now; a failed one is sent again a second later (four times at most), as an agent's next beat would be. */
  private heartbeat(version: string | null, delayMs = Math.random() * 2000, attemptsLeft = 5): void {
    if (!this.endpoint.heartbeat || !this.token || attemptsLeft === 0) return;
    setTimeout(() => {
      const retry = () => {
        heartbeatsFailed++;
        this.heartbeat(version, 1000, attemptsLeft - 1);
      };
      const body = JSON.stringify({ policyVersion: version });
      const request = http.request({
        host: this.endpoint.host,
        port: this.endpoint.port,
        path: "/api/agents/heartbeat",
        method: "POST",
        agent: heartbeatAgent,
        headers: { Authorization: `Bearer ${this.token}`, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
      });
      request.on("response", (response) => {
        response.resume();
        if (response.statusCode !== 200) retry();
      });
      request.on("error", retry);
      request.end(body);
    }, delayMs);
  }

  close(): void {
    this.socket?.destroy();
    this.isOpen = false;
  }
}

const connections: Connection[] = [];

function send(report: WorkerReport): void {
  process.send?.(report);
}

/** Opens `targets` over `concurrency` lanes; reports how many are held, failed, and the 503s waited out. */
async function openAll(targets: Connection[], resume: boolean, concurrency: number): Promise<void> {
  const refusalsBefore = targets.reduce((sum, connection) => sum + connection.refusals, 0);
  let next = 0;
  let connected = 0;
  let failed = 0;
  let lastConnectedAt = 0;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < targets.length) {
      if (await targets[next++]!.open(resume)) {
        connected++;
        lastConnectedAt = now();
      } else {
        failed++;
      }
    }
  });
  await Promise.all(lanes);
  const refused = targets.reduce((sum, connection) => sum + connection.refusals, 0) - refusalsBefore;
  send({ type: "connected", connected, failed, refused, lastConnectedAt });
}

function connect(command: Extract<WorkerCommand, { type: "connect" }>): Promise<void> {
  const created = command.tokens.map(
    (token, i) =>
      new Connection(token, {
        host: command.host,
        port: command.ports[(connections.length + i) % command.ports.length]!,
        path: command.path,
        sourceAddress: command.sourceAddresses[i % command.sourceAddresses.length]!,
        heartbeat: command.heartbeat,
      }),
  );
  connections.push(...created);
  return openAll(created, false, command.concurrency);
}

async function collect(round: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && connections.some((connection) => connection.versionsSeen < round)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const arrivals = connections.flatMap((connection) => (connection.arrivals.length >= round ? [connection.arrivals[round - 1]!] : []));
  send({ type: "collected", round, arrivals, heartbeatsFailed });
}

/** Waits until every stream has been ended by the server (a restart), then reports. */
async function awaitClosed(): Promise<void> {
  while (connections.some((connection) => connection.isOpen)) await new Promise((resolve) => setTimeout(resolve, 50));
  send({ type: "closed", open: 0 });
}

process.on("message", (command: WorkerCommand) => {
  switch (command.type) {
    case "connect":
      void connect(command);
      break;
    case "reconnect":
      void openAll(
        connections.filter((connection) => !connection.isOpen),
        true,
        command.concurrency,
      );
      break;
    case "awaitClosed":
      void awaitClosed();
      break;
    case "collect":
      void collect(command.round, command.timeoutMs);
      break;
    case "heartbeatAfterApply":
      heartbeatAfterApply = command.enabled;
      break;
    case "kill":
      connections.forEach((connection) => connection.close());
      heartbeatAgent.destroy();
      send({ type: "killed" });
      break;
    case "exit":
      process.exit(0);
  }
});
