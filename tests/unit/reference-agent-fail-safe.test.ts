/**
 * The reference agent as a process, against a fake control plane that signs like the real one: it applies what
 * verifies, refuses a tampered or replayed policy and reports the refusal in its heartbeat, keeps its last verified
 * policy (0600) and starts from it when the control plane is unreachable, and raises an alert once stale.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { policyDocument } from "@/lib/agent-policy/signatures";
import type { AgentRule } from "@/lib/agent-policy/types";
import { keyPairFromSeed, signWith } from "@/lib/signing/keys";
import { ALERT_RULE, BLOCK_RULE } from "../agent-helpers";

const key = keyPairFromSeed("policy", Buffer.alloc(32, 4));
const ORG = "org_fake";
const AGENT = "agent-0000fa4e";

function frame(version: number, { highestVersion = version, rules = [BLOCK_RULE] as AgentRule[] } = {}) {
  const policy = { policyVersion: `v${version}`, policyId: `pol_${version}`, name: `Version ${version}`, rules };
  const scope = { orgId: ORG, agentId: null, selector: null, highestVersion };
  return { ...policy, rollout: null, scope, signature: signWith(key, policyDocument(policy, scope)) };
}

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** A control plane that sends `frames` on the stream and records every heartbeat body. */
async function fakeControlPlane(frames: [string, unknown][]): Promise<{ url: string; beats: Record<string, unknown>[]; server: Server }> {
  const beats: Record<string, unknown>[] = [];
  const server = createServer((request, response) => {
    if (request.url === "/api/agents/stream") {
      response.writeHead(200, { "Content-Type": "text/event-stream" });
      frames.forEach(([event, data], index) => response.write(`id: ${index + 1}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      return;
    }
    if (request.url === "/api/agents/heartbeat") {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        beats.push(JSON.parse(body) as Record<string, unknown>);
        response.writeHead(200, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ ok: true, data: { agentId: AGENT, latestVersion: "v1", outdated: false, serverTime: new Date().toISOString() } }));
      });
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => server.closeAllConnections?.() ?? server.close());
  cleanups.push(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, beats, server };
}

class AgentProcess {
  output = "";
  errors = "";
  readonly process: ChildProcess;
  constructor(server: string, dir: string, extra: string[] = []) {
    this.process = spawn("node_modules/.bin/tsx", ["agent/palisade-agent.ts", "--server", server, "--token", "pagt_test", "--policy-key", key.publicKey, "--state", path.join(dir, "state.json"), ...extra], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.process.stdout!.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.process.stderr!.on("data", (chunk: Buffer) => (this.errors += chunk.toString()));
    cleanups.unshift(() => this.process.kill());
  }
  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.process.once("exit", resolve));
    this.process.kill();
    await exited;
  }
}

async function until(condition: () => boolean, what: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting; ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "palisade-agent-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("the reference agent, failing safe", () => {
  it("applies a verified policy, refuses a tampered one and a replayed older one, and reports the refusal", async () => {
    const tampered = { ...frame(2), rules: [{ ...BLOCK_RULE, config: { ...BLOCK_RULE.config, threshold: 1_000_000 } }] };
    const plane = await fakeControlPlane([
      ["policy", { agentId: AGENT, ...frame(1), overrides: [], securityPolicies: [] }],
      ["policy_version", tampered],
      ["policy_version", frame(3, { rules: [BLOCK_RULE, ALERT_RULE] })],
      ["policy_version", { ...frame(2) }],
    ]);
    const dir = tempDir();
    const agent = new AgentProcess(plane.url, dir);
    await until(() => agent.output.includes('applied v3 "Version 3": 2 active rule(s)'), () => agent.output + agent.errors);
    await until(() => agent.errors.includes("REFUSED policy v2: rollback refused"), () => agent.errors);
    expect(agent.output).toContain('starting with v1 "Version 1"');
    expect(agent.errors).toContain("REFUSED policy v2: bad signature: the policy is not the one that was signed; still enforcing v1");

    // The next heartbeat reports the last refusal and the version it runs.
    await until(() => plane.beats.some((beat) => (beat.refusal as { reason?: string } | null)?.reason?.startsWith("rollback refused") === true), () => JSON.stringify(plane.beats));
    const last = plane.beats.at(-1)!;
    expect(last).toMatchObject({ policyVersion: "v3", status: "ok", refusal: { version: "v2", reason: expect.stringContaining("rollback refused"), at: expect.any(String) } });

    // Its last verified policy is on disk, readable by its owner only, signature and all.
    const saved = path.join(dir, "policy.json");
    expect(statSync(saved).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, "state.json")).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(saved, "utf8"))).toMatchObject({ policy: { policyVersion: "v3", signature: { keyId: key.keyId } } });
    await agent.stop();
  });

  it("starts enforcing its saved policy while the control plane is down, and alerts once stale", async () => {
    const plane = await fakeControlPlane([["policy", { agentId: AGENT, ...frame(1), overrides: [], securityPolicies: [] }]]);
    const dir = tempDir();
    const first = new AgentProcess(plane.url, dir);
    await until(() => first.output.includes("starting with v1"), () => first.output + first.errors);
    await until(() => existsSync(path.join(dir, "policy.json")), () => "no policy.json");
    await first.stop();

    // The control plane is gone: nothing listens on its port any more.
    await new Promise((resolve) => plane.server.close(resolve));
    plane.server.closeAllConnections();
    const alerted = path.join(dir, "alerted.txt");
    const second = new AgentProcess(plane.url, dir, ["--stale-after-seconds", "1", "--alert-command", `printf '%s' "$PALISADE_ALERT" > '${alerted}'`]);
    await until(() => second.output.includes("starting from the last verified policy"), () => second.output + second.errors);
    expect(second.output).toMatch(/starting from the last verified policy \(verified [^)]+\): v1 "Version 1": 1 active rule\(s\) \(block_ip\)/);
    await until(() => second.errors.includes("ALERT: policy is stale"), () => second.errors);
    expect(second.errors).toContain("still enforcing the last verified policy v1");
    await until(() => existsSync(alerted) && readFileSync(alerted, "utf8").length > 0, () => "no alert command output");
    expect(readFileSync(alerted, "utf8")).toContain("ALERT: policy is stale");
    await second.stop();

    // A saved policy edited on disk is refused at start like a tampered frame.
    const saved = JSON.parse(readFileSync(path.join(dir, "policy.json"), "utf8")) as { policy: { rules: { enabled: boolean }[] } };
    saved.policy.rules[0]!.enabled = false;
    writeFileSync(path.join(dir, "policy.json"), JSON.stringify(saved));
    const third = new AgentProcess(plane.url, dir);
    await until(() => third.errors.includes("REFUSED policy v1: saved policy"), () => third.errors);
    expect(third.output).not.toContain("starting from the last verified policy");
    await third.stop();
  });
});
