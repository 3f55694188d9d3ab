import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { adminToken, startInstance, type Instance } from "./instances";

const PORT = Number(process.env.E2E_PORT ?? 3100) + 41;

/**
 * SIGTERM while an agent's stream is open and its client has cancelled reading the body without closing the
 * connection (fetch's `body.cancel()`): the instance still exits, with 143, within its shutdown grace period.
 */
test("SIGTERM stops the server even when a client cancelled a stream's body but kept its connection", async () => {
  test.setTimeout(120_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), "palisade-shutdown-"));
  let instance: Instance | undefined;
  try {
    instance = await startInstance({ port: PORT, databaseUrl: `pglite:${dataDir}/pglite` });
    const auth = await adminToken(instance, "Shutdown");
    const post = (pathname: string, body: unknown, headers: Record<string, string> = auth) => fetch(`${instance!.base}${pathname}`, { method: "POST", headers, body: JSON.stringify(body) });
    const key = ((await (await post("/api/agents/enrollment-keys", {})).json()) as { data: { key: string } }).data.key;
    const agent = ((await (await post("/api/agents/enroll", { enrollmentKey: key, hostname: "cancelled" }, { "Content-Type": "application/json" })).json()) as { data: { token: string } }).data;

    const stream = await fetch(`${instance.base}/api/agents/stream`, { headers: { Authorization: `Bearer ${agent.token}` } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel();

    const { code, ms } = await instance.terminate();
    expect(code, instance.output()).toBe(143);
    // The grace period is 8 s; well under Docker's 10 s stop timeout.
    expect(ms).toBeLessThan(10_000);
  } finally {
    await instance?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
