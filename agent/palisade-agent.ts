/**
 * The Palisade reference agent: the smallest complete client of the Agent Policy API, written to be read.
 *
 *   npm run agent -- --server http://localhost:3000 --enroll penr_…    # first run: enrol, save the token
 *   npm run agent -- --server http://localhost:3000                    # later runs: reuse the saved token
 *   npm run agent -- --server http://localhost:3000 --token pagt_…     # or pass a token explicitly
 *
 * What it does, in order:
 *   1. enrols with an enrollment key (POST /api/agents/enroll) and saves its token (mode 0600);
 *   2. opens the event stream (GET /api/agents/stream) and applies each policy it receives;
 *   3. sends a heartbeat (POST /api/agents/heartbeat) every 30 s, and once more 0–2 s after applying a new
 *      version, so the console sees the fleet converge within seconds;
 *   4. reconnects with exponential backoff and jitter, sending Last-Event-ID so the server replays exactly
 *      the events it missed (or a full `reset` snapshot if they are too old); a server too busy to take it
 *      answers 503 with a Retry-After, which it waits out before trying again.
 * Only Node.js and eventsource-parser: no code from the server, so it can be copied into another project.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { EventSourceParserStream } from "eventsource-parser/stream";

const AGENT_VERSION = "palisade-reference-agent/1.0.0";
const HEARTBEAT_INTERVAL_MS = 30_000;
const HEARTBEAT_AFTER_APPLY_JITTER_MS = 2_000;
const MAX_BACKOFF_MS = 60_000;

interface Rule {
  type: string;
  config: Record<string, unknown>;
  enabled: boolean;
}

interface SecurityPolicy {
  id: string;
  name: string;
  type: string;
  enabled: boolean;
  rules: string[];
}

/** What the agent enforces. Every policy event carries it whole, so applying an event is a plain replace. */
interface PolicyState {
  policyVersion: string | null;
  name: string | null;
  rules: Rule[];
  securityPolicies: Map<string, SecurityPolicy>;
}

interface SavedState {
  server: string;
  agentId: string;
  token: string;
  lastEventId?: string;
}

class Revoked extends Error {}

/** The server asked to be left alone for a while (503 with Retry-After). */
class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** Retry-After as a delay: seconds, or an HTTP date; null when absent or unreadable. */
function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

const log = (message: string) => console.log(`${new Date().toISOString()} ${message}`);
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

// ---------------------------------------------------------------------------
// State on disk: the token is a secret, so the file is readable by its owner only.
// ---------------------------------------------------------------------------

function loadState(file: string): SavedState | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as SavedState) : null;
}

function saveState(file: string, state: SavedState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
}

// ---------------------------------------------------------------------------
// The three API calls.
// ---------------------------------------------------------------------------

async function apiError(response: Response): Promise<string> {
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  return `${response.status} ${body?.error?.message ?? response.statusText}`;
}

async function enroll(server: string, enrollmentKey: string, hostname: string): Promise<{ agentId: string; token: string }> {
  const response = await fetch(`${server}/api/agents/enroll`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ enrollmentKey, hostname, agentVersion: AGENT_VERSION }),
  });
  if (!response.ok) throw new Error(`enrolment failed: ${await apiError(response)}`);
  return ((await response.json()) as { data: { agentId: string; token: string } }).data;
}

async function sendHeartbeat(server: string, token: string, policyVersion: string | null, hostname: string): Promise<void> {
  const response = await fetch(`${server}/api/agents/heartbeat`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ policyVersion, agentVersion: AGENT_VERSION, hostname }),
  });
  if (response.status === 401) throw new Revoked("the server refused this agent's token");
  if (!response.ok) throw new Error(`heartbeat failed: ${await apiError(response)}`);
  const { data } = (await response.json()) as { data: { latestVersion: string | null; outdated: boolean } };
  if (data.outdated) log(`heartbeat: running ${policyVersion ?? "no policy"}, latest is ${data.latestVersion}; waiting for the stream to deliver it`);
}

// ---------------------------------------------------------------------------
// The agent.
// ---------------------------------------------------------------------------

class Agent {
  private readonly policy: PolicyState = { policyVersion: null, name: null, rules: [], securityPolicies: new Map() };
  private readonly stop = new AbortController();
  private heartbeatSoon: NodeJS.Timeout | null = null;
  /** The server's `retry:` hint: the base of the reconnection backoff. */
  private retryMs = 3000;

  constructor(
    private readonly stateFile: string,
    private state: SavedState,
    private readonly hostname: string,
  ) {}

  async run(): Promise<void> {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => this.stop.abort());
    const heartbeats = setInterval(() => void this.heartbeat(), HEARTBEAT_INTERVAL_MS);
    try {
      await this.streamForever();
    } finally {
      clearInterval(heartbeats);
      if (this.heartbeatSoon) clearTimeout(this.heartbeatSoon);
    }
  }

  /** Keeps a stream open, reconnecting with exponential backoff and full jitter after any failure. */
  private async streamForever(): Promise<void> {
    let failures = 0;
    while (!this.stop.signal.aborted) {
      try {
        await this.stream(() => (failures = 0));
        log("stream ended by the server; reconnecting");
      } catch (error) {
        if (error instanceof Revoked) throw error;
        if (this.stop.signal.aborted) return;
        failures++;
        log(`stream error: ${(error as Error).message}`);
        if (error instanceof RetryLater) {
          // The server already spread its Retry-After over its agents: wait exactly that, no longer.
          await sleep(Math.min(error.delayMs, MAX_BACKOFF_MS), this.stop.signal);
          continue;
        }
      }
      const ceiling = Math.min(MAX_BACKOFF_MS, this.retryMs * 2 ** Math.min(failures, 10));
      const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
      log(`reconnecting in ${(delay / 1000).toFixed(1)} s${this.state.lastEventId ? ` from event ${this.state.lastEventId}` : ""}`);
      await sleep(delay, this.stop.signal);
    }
  }

  private async stream(onConnected: () => void): Promise<void> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.state.token}`, Accept: "text/event-stream" };
    if (this.state.lastEventId) headers["Last-Event-ID"] = this.state.lastEventId;
    const response = await fetch(`${this.state.server}/api/agents/stream`, { headers, signal: this.stop.signal });
    if (response.status === 401) throw new Revoked("the server refused this agent's token");
    const retryAfter = response.status === 503 ? retryAfterMs(response.headers.get("retry-after")) : null;
    if (retryAfter !== null) throw new RetryLater(`stream refused: ${await apiError(response)}; retrying in ${(retryAfter / 1000).toFixed(0)} s`, retryAfter);
    if (!response.ok || !response.body) throw new Error(`stream refused: ${await apiError(response)}`);
    onConnected();
    log("stream connected");

    const events = response.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream({ onRetry: (ms) => (this.retryMs = ms) }))
      .getReader();
    for (let next = await events.read(); !next.done; next = await events.read()) {
      const message = next.value;
      this.handle(message.event ?? "message", JSON.parse(message.data) as Record<string, unknown>);
      // Remember the position only after the event is applied: a crash replays it rather than skipping it.
      if (message.id) this.remember(message.id);
    }
  }

  private handle(event: string, data: Record<string, unknown>): void {
    switch (event) {
      case "policy": // the first event: everything this agent enforces
      case "reset": // the resume point was too old: everything again
        this.policy.securityPolicies = new Map((data.securityPolicies as SecurityPolicy[]).map((policy) => [policy.id, policy]));
        this.apply(data, event === "reset" ? "reset to" : "starting with");
        break;
      case "policy_version": // the version that applies to this agent changed
        this.apply(data, "applied");
        break;
      case "rollout": // a staged rollout started or ended around this agent, which keeps its version
      case "labels": // an admin relabelled this agent, which keeps its version
        this.apply(data, "keeping");
        break;
      case "overrides": // an admin changed this agent's overrides
        this.apply(data, "applied overrides on");
        break;
      case "security_policy": {
        // a network or session policy was toggled, created, edited or deleted
        const { change, policy } = data as { change: string; policy: SecurityPolicy & { enforced: boolean } };
        if (change === "deleted" || !policy.enforced) this.policy.securityPolicies.delete(policy.id);
        else this.policy.securityPolicies.set(policy.id, policy);
        log(`security policy ${policy.id} ${change}: ${policy.enabled ? "enabled" : "disabled"}`);
        break;
      }
      case "revoked":
        throw new Revoked("this agent was revoked by an admin");
      default:
        log(`ignoring unknown event "${event}"`);
    }
  }

  private apply(data: Record<string, unknown>, verb: string): void {
    const previous = this.policy.policyVersion;
    this.policy.policyVersion = (data.policyVersion as string | null) ?? null;
    this.policy.name = (data.name as string | null) ?? null;
    this.policy.rules = data.rules as Rule[];
    // A real agent would reprogram its firewall and detectors here.
    const active = this.policy.rules.filter((rule) => rule.enabled).map((rule) => rule.type);
    log(`${verb} ${this.policy.policyVersion ?? "no policy yet"}${this.policy.name ? ` "${this.policy.name}"` : ""}: ${active.length} active rule(s)${active.length ? ` (${active.join(", ")})` : ""}`);
    if (this.policy.policyVersion !== previous || (verb !== "applied" && verb !== "keeping")) this.scheduleHeartbeat();
  }

  /** One heartbeat 0–2 s after applying a version: prompt enough for the console, spread out across a fleet. */
  private scheduleHeartbeat(): void {
    if (this.heartbeatSoon) clearTimeout(this.heartbeatSoon);
    this.heartbeatSoon = setTimeout(() => void this.heartbeat(), Math.random() * HEARTBEAT_AFTER_APPLY_JITTER_MS);
  }

  private async heartbeat(): Promise<void> {
    try {
      await sendHeartbeat(this.state.server, this.state.token, this.policy.policyVersion, this.hostname);
    } catch (error) {
      if (error instanceof Revoked) {
        log(error.message);
        this.stop.abort();
        process.exitCode = 3;
        return;
      }
      log((error as Error).message);
    }
  }

  private remember(lastEventId: string): void {
    this.state = { ...this.state, lastEventId };
    saveState(this.stateFile, this.state);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: "string" },
      enroll: { type: "string" },
      token: { type: "string" },
      hostname: { type: "string", default: osHostname() },
      state: { type: "string", default: ".agent/state.json" },
    },
  });
  const server = values.server?.replace(/\/+$/, "");
  if (!server) throw new Error("usage: npm run agent -- --server URL (--enroll KEY | --token TOKEN) [--hostname H] [--state FILE]");
  const hostname = values.hostname!;
  const stateFile = path.resolve(values.state!);

  let state = loadState(stateFile);
  if (values.enroll) {
    const enrolled = await enroll(server, values.enroll, hostname);
    state = { server, ...enrolled };
    saveState(stateFile, state);
    log(`enrolled as ${enrolled.agentId}; token saved to ${stateFile}`);
  } else if (values.token) {
    state = { server, agentId: "unknown", token: values.token };
  }
  if (!state) throw new Error(`no saved token in ${stateFile}: pass --enroll KEY or --token TOKEN`);
  await new Agent(stateFile, { ...state, server }, hostname).run();
}

main().catch((error: unknown) => {
  console.error(`${new Date().toISOString()} ${(error as Error).message}`);
  process.exitCode = error instanceof Revoked ? 3 : 1;
});
