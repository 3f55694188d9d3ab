/**
 * The Palisade reference agent: the smallest complete client of the Agent Policy API, written to be read.
 *
 *   npm run agent -- --server http://localhost:3000 --enroll penr_…    # first run: enrol, save the token
 *   npm run agent -- --server http://localhost:3000                    # later runs: reuse the saved token
 *   npm run agent -- --server http://localhost:3000 --token pagt_… --policy-key <base64>   # or a token and key given out of band
 *
 * What it does, in order:
 *   1. enrols with an enrollment key (POST /api/agents/enroll) and saves its token (mode 0600);
 *   2. opens the event stream (GET /api/agents/stream) and applies each policy it receives, once it has verified
 *      its signature with the key pinned at enrolment (agent/policy-signature.ts): an unsigned, wrongly signed or
 *      replayed policy is refused, logged, and reported in the next heartbeats;
 *   3. sends a heartbeat (POST /api/agents/heartbeat) every 30 s, and once more 0–2 s after applying a new
 *      version, so the console sees the fleet converge within seconds;
 *   4. reconnects with exponential backoff and jitter, sending Last-Event-ID so the server replays exactly
 *      the events it missed (or a full `reset` snapshot if they are too old); a server too busy to take it
 *      answers 503 with a Retry-After, which it waits out before trying again.
 *   5. fails safe: it keeps its last verified policy on disk (mode 0600) and enforces it from the start, before and
 *      whether or not the control plane answers; past a staleness bound (--stale-after-seconds without a verified
 *      policy or an up-to-date heartbeat answer, or --stale-after-versions behind) it reports `status: "stale"` and
 *      raises a local alert (a line on stderr, and --alert-command if given).
 * Only Node.js, eventsource-parser and canonicalize: no code from the server, so it can be copied into another project.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { keyIdOf, verifyPolicy, versionNumber, type PinnedKey, type ReceivedPolicy } from "./policy-signature";

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
  /** The organization and policy signing key pinned at enrolment (or given out of band, or learnt by rotation). */
  orgId?: string | null;
  policySigningKey?: PinnedKey;
  lastEventId?: string;
  /** The last policy refused, reported in every heartbeat. */
  lastRefusal?: Refusal | null;
}

interface Refusal {
  version: string | null;
  reason: string;
  at: string;
}

/** The last verified policy, as received (with its signature, so it is verified again when loaded). */
interface SavedPolicy {
  policy: ReceivedPolicy;
  verifiedAt: string;
}

interface Staleness {
  afterSeconds: number;
  /** 0: not bounded by versions. */
  afterVersions: number;
  alertCommand: string | null;
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
/** What an operator must see even with stdout discarded: refusals and alerts go to stderr. */
const warn = (message: string) => console.error(`${new Date().toISOString()} palisade-agent: ${message}`);
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

/** Writes a file readable by its owner only, whole or not at all (a crash mid-write leaves the previous one). */
function writePrivate(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

function saveState(file: string, state: SavedState): void {
  writePrivate(file, JSON.stringify(state, null, 2));
}

function loadPolicy(file: string): SavedPolicy | null {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as SavedPolicy) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// The three API calls.
// ---------------------------------------------------------------------------

async function apiError(response: Response): Promise<string> {
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  return `${response.status} ${body?.error?.message ?? response.statusText}`;
}

interface Enrolled {
  agentId: string;
  orgId: string;
  token: string;
  policySigningKey: PinnedKey;
}

async function enroll(server: string, enrollmentKey: string, hostname: string): Promise<Enrolled> {
  const response = await fetch(`${server}/api/agents/enroll`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ enrollmentKey, hostname, agentVersion: AGENT_VERSION }),
  });
  if (!response.ok) throw new Error(`enrolment failed: ${await apiError(response)}`);
  return ((await response.json()) as { data: Enrolled }).data;
}

interface HeartbeatReport {
  policyVersion: string | null;
  hostname: string;
  status: "ok" | "stale";
  refusal: Refusal | null;
}

async function sendHeartbeat(server: string, token: string, report: HeartbeatReport): Promise<{ agentId: string; latestVersion: string | null; outdated: boolean }> {
  const response = await fetch(`${server}/api/agents/heartbeat`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ policyVersion: report.policyVersion, agentVersion: AGENT_VERSION, hostname: report.hostname, status: report.status, refusal: report.refusal }),
  });
  if (response.status === 401) throw new Revoked("the server refused this agent's token");
  if (!response.ok) throw new Error(`heartbeat failed: ${await apiError(response)}`);
  const { data } = (await response.json()) as { data: { agentId: string; latestVersion: string | null; outdated: boolean } };
  if (data.outdated) log(`heartbeat: running ${report.policyVersion ?? "no policy"}, latest is ${data.latestVersion}; waiting for the stream to deliver it`);
  return data;
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
  /** When the control plane last confirmed the policy: a verified policy applied, or a heartbeat answer saying it is current. */
  private confirmedAt = Date.now();
  /** How many versions behind the last heartbeat answer said the agent is. */
  private versionsBehind = 0;
  private stale = false;

  constructor(
    private readonly stateFile: string,
    private readonly policyFile: string,
    private state: SavedState,
    private readonly hostname: string,
    private readonly staleness: Staleness,
  ) {}

  async run(): Promise<void> {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => this.stop.abort());
    this.startFromSavedPolicy();
    const heartbeats = setInterval(() => void this.heartbeat(), HEARTBEAT_INTERVAL_MS);
    const staleness = setInterval(() => this.checkStaleness(), Math.min(5000, Math.max(250, (this.staleness.afterSeconds * 1000) / 4)));
    void this.heartbeat();
    try {
      await this.streamForever();
    } finally {
      clearInterval(heartbeats);
      clearInterval(staleness);
      if (this.heartbeatSoon) clearTimeout(this.heartbeatSoon);
    }
  }

  /**
   * Enforces the last verified policy at once, before the control plane answers (or when it never does). It is
   * verified again with the pinned key: a file edited on disk is refused like a tampered frame.
   */
  private startFromSavedPolicy(): void {
    const saved = loadPolicy(this.policyFile);
    if (!saved) return;
    const verdict = this.verify(saved.policy, null);
    if (!verdict.ok) {
      this.refuse(saved.policy.policyVersion, `saved policy in ${this.policyFile}: ${verdict.reason}`);
      return;
    }
    this.confirmedAt = Date.parse(saved.verifiedAt) || 0;
    this.enforce(saved.policy, `starting from the last verified policy (verified ${saved.verifiedAt}):`);
  }

  private verify(policy: ReceivedPolicy, runningVersion: number | null) {
    return verifyPolicy(policy, { pinned: this.state.policySigningKey!, orgId: this.state.orgId ?? null, agentId: this.state.agentId === "unknown" ? null : this.state.agentId, runningVersion });
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

  /** Verifies a policy the control plane sent, then applies, persists and reports it; or refuses it. */
  private apply(data: Record<string, unknown>, verb: string): void {
    const received = data as unknown as ReceivedPolicy;
    const running = versionNumber(this.policy.policyVersion);
    const verdict = this.verify(received, Number.isNaN(running) ? null : running);
    if (!verdict.ok) {
      this.refuse(received.policyVersion ?? null, verdict.reason);
      return;
    }
    if (verdict.key.keyId !== this.state.policySigningKey!.keyId) log(`pinned the rotated policy signing key ${verdict.key.keyId}, endorsed by ${this.state.policySigningKey!.keyId}`);
    this.state = { ...this.state, policySigningKey: verdict.key, orgId: verdict.orgId };
    saveState(this.stateFile, this.state);
    // Persisted before it is reported applied: after a crash the agent starts from what it last told the server.
    writePrivate(this.policyFile, JSON.stringify({ policy: { policyVersion: received.policyVersion, policyId: received.policyId, name: received.name, rules: received.rules, scope: received.scope, signature: received.signature, signingKeys: received.signingKeys }, verifiedAt: new Date().toISOString() } satisfies SavedPolicy, null, 2));
    this.confirmedAt = Date.now();
    this.versionsBehind = 0;
    const previous = this.policy.policyVersion;
    this.enforce(received, verb);
    this.checkStaleness();
    if (this.policy.policyVersion !== previous || (verb !== "applied" && verb !== "keeping")) this.scheduleHeartbeat();
  }

  private enforce(policy: ReceivedPolicy, verb: string): void {
    this.policy.policyVersion = policy.policyVersion ?? null;
    this.policy.name = policy.name ?? null;
    this.policy.rules = policy.rules as Rule[];
    // A real agent would reprogram its firewall and detectors here.
    const active = this.policy.rules.filter((rule) => rule.enabled).map((rule) => rule.type);
    log(`${verb} ${this.policy.policyVersion ?? "no policy yet"}${this.policy.name ? ` "${this.policy.name}"` : ""}: ${active.length} active rule(s)${active.length ? ` (${active.join(", ")})` : ""}`);
  }

  /** Keeps enforcing what it had, says why on stderr, and reports it in every heartbeat from now on. */
  private refuse(version: string | null, reason: string): void {
    warn(`REFUSED policy ${version ?? "(no version)"}: ${reason}; still enforcing ${this.policy.policyVersion ?? "no policy"}`);
    this.state = { ...this.state, lastRefusal: { version: typeof version === "string" ? version.slice(0, 32) : null, reason: reason.slice(0, 500), at: new Date().toISOString() } };
    saveState(this.stateFile, this.state);
    this.scheduleHeartbeat();
  }

  /** Stale past the bound: no confirmation from the control plane for too long, or too many versions behind. */
  private checkStaleness(): void {
    const silentFor = (Date.now() - this.confirmedAt) / 1000;
    const behind = this.staleness.afterVersions > 0 && this.versionsBehind >= this.staleness.afterVersions;
    const stale = silentFor >= this.staleness.afterSeconds || behind;
    if (stale === this.stale) return;
    this.stale = stale;
    if (!stale) {
      log(`policy is current again: ${this.policy.policyVersion ?? "no policy"}`);
      this.scheduleHeartbeat();
      return;
    }
    const why = behind ? `${this.versionsBehind} version(s) behind the control plane` : `no verified policy from the control plane for ${Math.round(silentFor)} s`;
    const message = `ALERT: policy is stale (${why}); still enforcing the last verified policy ${this.policy.policyVersion ?? "(none)"}`;
    warn(message);
    if (this.staleness.alertCommand) {
      const child = spawn(this.staleness.alertCommand, { shell: true, stdio: "ignore", env: { ...process.env, PALISADE_ALERT: message, PALISADE_POLICY_VERSION: this.policy.policyVersion ?? "" } });
      child.on("error", (error) => warn(`alert command failed: ${error.message}`));
    }
    this.scheduleHeartbeat();
  }

  /** One heartbeat 0–2 s after applying a version: prompt enough for the console, spread out across a fleet. */
  private scheduleHeartbeat(): void {
    if (this.heartbeatSoon) clearTimeout(this.heartbeatSoon);
    this.heartbeatSoon = setTimeout(() => void this.heartbeat(), Math.random() * HEARTBEAT_AFTER_APPLY_JITTER_MS);
  }

  private async heartbeat(): Promise<void> {
    try {
      const answer = await sendHeartbeat(this.state.server, this.state.token, {
        policyVersion: this.policy.policyVersion,
        hostname: this.hostname,
        status: this.stale ? "stale" : "ok",
        refusal: this.state.lastRefusal ?? null,
      });
      if (this.state.agentId === "unknown") {
        this.state = { ...this.state, agentId: answer.agentId };
        saveState(this.stateFile, this.state);
      }
      const latest = answer.latestVersion === null ? 0 : (versionNumber(answer.latestVersion) ?? 0);
      this.versionsBehind = Math.max(0, latest - (versionNumber(this.policy.policyVersion) ?? 0));
      // An answer saying it runs what applies confirms its policy as surely as a new one.
      if (!answer.outdated) this.confirmedAt = Date.now();
      this.checkStaleness();
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
      "policy-file": { type: "string" },
      "policy-key": { type: "string" },
      "stale-after-seconds": { type: "string", default: "600" },
      "stale-after-versions": { type: "string", default: "0" },
      "alert-command": { type: "string" },
    },
  });
  const server = values.server?.replace(/\/+$/, "");
  const usage =
    "usage: npm run agent -- --server URL (--enroll KEY | --token TOKEN --policy-key BASE64) [--hostname H] [--state FILE] [--policy-file FILE] [--stale-after-seconds N] [--stale-after-versions N] [--alert-command CMD]";
  if (!server) throw new Error(usage);
  const hostname = values.hostname!;
  const stateFile = path.resolve(values.state!);
  const policyFile = path.resolve(values["policy-file"] ?? path.join(path.dirname(stateFile), "policy.json"));
  const staleness: Staleness = {
    afterSeconds: Number(values["stale-after-seconds"]),
    afterVersions: Number(values["stale-after-versions"]),
    alertCommand: values["alert-command"] ?? null,
  };
  if (!(staleness.afterSeconds > 0) || !(staleness.afterVersions >= 0)) throw new Error(usage);

  let state = loadState(stateFile);
  if (values.enroll) {
    const enrolled = await enroll(server, values.enroll, hostname);
    state = { server, ...enrolled };
    saveState(stateFile, state);
    log(`enrolled as ${enrolled.agentId}; token and policy signing key ${enrolled.policySigningKey.keyId} saved to ${stateFile}`);
  } else if (values.token) {
    state = { ...state, server, agentId: state?.token === values.token ? state.agentId : "unknown", token: values.token };
  }
  if (!state) throw new Error(`no saved token in ${stateFile}: pass --enroll KEY or --token TOKEN`);
  // A key given out of band wins over the one enrolment gave: the operator's trust anchor.
  if (values["policy-key"]) {
    const publicKey = values["policy-key"];
    if (Buffer.from(publicKey, "base64").length !== 32) throw new Error("--policy-key must be a raw 32-byte Ed25519 public key, base64");
    state = { ...state, policySigningKey: { keyId: keyIdOf(publicKey), publicKey } };
    saveState(stateFile, state);
  }
  if (!state.policySigningKey) throw new Error(`no pinned policy signing key in ${stateFile}: enrol again, or pass --policy-key BASE64`);
  await new Agent(stateFile, policyFile, { ...state, server }, hostname, staleness).run();
}

main().catch((error: unknown) => {
  console.error(`${new Date().toISOString()} ${(error as Error).message}`);
  process.exitCode = error instanceof Revoked ? 3 : 1;
});
