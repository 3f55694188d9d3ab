import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** Runs the reference agent against a server that refuses its first stream with 503; returns when each stream request came. */
async function streamAttempts(retryAfter: () => string, attempts: number): Promise<number[]> {
  const arrivals: number[] = [];
  let done = () => {};
  const enough = new Promise<void>((resolve) => (done = resolve));
  const server = createServer((request, response) => {
    if (request.url !== "/api/agents/stream") return void response.writeHead(404).end();
    arrivals.push(performance.now());
    if (arrivals.length >= attempts) done();
    response.writeHead(503, { "Content-Type": "application/json", "Retry-After": retryAfter() });
    response.end(JSON.stringify({ ok: false, error: { code: "unavailable", message: "Too many agents are connecting at once.", details: [] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => server.close());
  const dir = mkdtempSync(path.join(tmpdir(), "palisade-agent-"));
  const { port } = server.address() as AddressInfo;
  const agent = spawn("node_modules/.bin/tsx", ["agent/palisade-agent.ts", "--server", `http://127.0.0.1:${port}`, "--token", "pagt_test", "--policy-key", Buffer.alloc(32, 9).toString("base64"), "--state", path.join(dir, "state.json")], {
    stdio: "ignore",
  });
  cleanups.push(() => {
    agent.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  await enough;
  return arrivals;
}

describe("the reference agent", () => {
  it("waits out a 503's Retry-After before reconnecting, instead of its own backoff", async () => {
    // Its own backoff after a failure is 3–6 s: a second attempt about 1 s later can only come from Retry-After.
    const [first, second] = await streamAttempts(() => "1", 2);
    expect(second! - first!).toBeGreaterThanOrEqual(950);
    expect(second! - first!).toBeLessThan(2500);
  });

  it("never comes back before the Retry-After it was given", async () => {
    // An HTTP date counts whole seconds: 7 s ahead is at least 6 s away.
    const [first, second] = await streamAttempts(() => new Date(Date.now() + 7000).toUTCString(), 2);
    expect(second! - first!).toBeGreaterThanOrEqual(5900);
  });
});
