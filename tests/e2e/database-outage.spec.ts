import { expect, test } from "@playwright/test";
import postgres from "postgres";
import { SseReader } from "../sse-client";
import { BLOCK_RULE } from "./fleet-helpers";
import { adminToken, throwawayInstance } from "./instances";

const PORT = Number(process.env.E2E_PORT ?? 3100) + 21;
const WORKERS = 6;
// Each client pauses between requests: a steady load, not a flood of refused connections while the database is down.
const PAUSE_MS = 40;
// A request that takes longer has hung.
const HANG_MS = 20_000;
// The instance's pool (DATABASE_POOL_MAX, 10 by default) and its LISTEN connection.
const MAX_CONNECTIONS = 11;

type Family = "detail" | "envelope";
type Phase = "before" | "during" | "after";
interface Tally {
  tried: number;
  ok: number;
  /** 503 with Retry-After and the family's documented body. */
  failedCleanly: number;
  /** Anything else: another status, a malformed body, a reset connection, a hang. Must stay empty. */
  unclean: string[];
}

/**
 * PostgreSQL (a throwaway cluster of the test's own) is stopped while requests and streams run against a production
 * instance, then started again. Every request is answered, either normally or with a clean 503 and Retry-After;
 * none hangs, none loses an acknowledged write; the open stream survives and catches up; nothing needs a restart.
 */
test.describe("PostgreSQL stopped and started under load", () => {
  const startCluster = throwawayInstance({ port: PORT, env: { SSE_KEEPALIVE_SECONDS: "2" } });

  test("answers 503 with Retry-After while it is down, loses nothing, and recovers without a restart", async () => {
    const { cluster, instance } = await startCluster();
    const auth = await adminToken(instance, "Outage");
    const url = (path: string) => `${instance.base}${path}`;
    const post = (path: string, body: unknown, headers = auth) => fetch(url(path), { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(HANG_MS) });

    const key = ((await (await post("/api/agents/enrollment-keys", {})).json()) as { data: { key: string } }).data.key;
    const enroll = async (hostname: string) => ((await (await post("/api/agents/enroll", { enrollmentKey: key, hostname }, { "Content-Type": "application/json" })).json()) as { data: { agentId: string; token: string } }).data;
    const streaming = await enroll("streaming");
    const beating = await enroll("beating");
    const starting = await enroll("starting");
    // Never connected before the outage: its token is not cached, so its stream start needs the database.
    const late = await enroll("late");
    const agentAuth = (token: string) => ({ "Content-Type": "application/json", Authorization: `Bearer ${token}` });
    await post("/api/policy", { name: "Before", rules: [BLOCK_RULE] });

    const stream = new SseReader(await fetch(url("/api/agents/stream"), { headers: agentAuth(streaming.token) }));
    expect((await stream.next())?.event).toBe("policy");

    // ---- the load: reads and writes of both families, heartbeats, stream starts ----
    const tallies: Record<Phase, Tally> = { before: newTally(), during: newTally(), after: newTally() };
    let phase: Phase = "before";
    const acknowledged = { policies: [] as string[], versions: [] as string[], beatAt: null as string | null };
    let sequence = 0;
    const operations: { family: Family; run: () => Promise<Response>; onOk?: (body: unknown) => void }[] = [
      { family: "detail", run: () => fetch(url("/api/policies"), { headers: auth, signal: AbortSignal.timeout(HANG_MS) }) },
      {
        family: "detail",
        run: () => post("/api/policies", { id: `pol-outage-${++sequence}`, name: `Outage ${sequence}`, type: "network", rules: ["Deny telnet"] }),
        onOk: (body) => acknowledged.policies.push((body as { id: string }).id),
      },
      { family: "envelope", run: () => post("/api/policy", { name: `Load ${++sequence}`, rules: [BLOCK_RULE] }), onOk: (body) => acknowledged.versions.push((body as { data: { version: string } }).data.version) },
      { family: "envelope", run: () => fetch(url("/api/agents?status=all"), { headers: auth, signal: AbortSignal.timeout(HANG_MS) }) },
      { family: "envelope", run: () => post("/api/agents/heartbeat", { policyVersion: null }, agentAuth(beating.token)), onOk: (body) => (acknowledged.beatAt = (body as { data: { serverTime: string } }).data.serverTime) },
      // A stream start: the headers are the answer; the stream itself is closed at once.
      { family: "envelope", run: () => fetch(url("/api/agents/stream"), { headers: agentAuth(starting.token), signal: AbortSignal.timeout(HANG_MS) }) },
    ];

    let running = true;
    const worker = async (offset: number) => {
      for (let turn = offset; running; turn++) {
        const operation = operations[turn % operations.length]!;
        const tally = tallies[phase];
        tally.tried++;
        try {
          const response = await operation.run();
          const outcome = await judge(response, operation.family);
          if (outcome === "ok") {
            tally.ok++;
            operation.onOk?.(await response.json().catch(() => null));
          } else if (outcome === "503") tally.failedCleanly++;
          else tally.unclean.push(outcome);
          if (!response.bodyUsed) await response.body?.cancel();
        } catch (error) {
          tally.unclean.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, index) => worker(index));
    // Heartbeats and stream starts may be answered from memory: recovery is the first write the database took.
    const firstWriteAfter = async (deadlineMs: number) => {
      const started = Date.now();
      const writes = () => acknowledged.policies.length + acknowledged.versions.length;
      const before = writes();
      while (writes() === before && Date.now() - started < deadlineMs) await new Promise((resolve) => setTimeout(resolve, 20));
      return Date.now() - started;
    };

    await new Promise((resolve) => setTimeout(resolve, 2000));
    phase = "during";
    await cluster.stop();
    await new Promise((resolve) => setTimeout(resolve, 5000));
    // A stream start that needs the database must be told when to come back. (One whose agent and organization
    // this instance already holds in memory starts without it: `starting`'s, in the load.)
    const refused = await fetch(url("/api/agents/stream"), { headers: agentAuth(late.token) });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(5);
    expect(await refused.json()).toMatchObject({ ok: false, error: { code: "unavailable" } });
    expect((await fetch(url("/api/health"))).status).toBe(503);

    phase = "after";
    await cluster.start();
    const restartedAt = Date.now();
    const recoveryMs = await firstWriteAfter(30_000);
    // Published at once, while the LISTEN connection is most likely still waiting to reconnect: only the catch-up
    // from the event log can bring it to the stream then.
    const published = await post("/api/policy", { name: "After the outage", rules: [BLOCK_RULE] });
    expect(published.status).toBe(201);
    const publishedAt = Date.now();
    // The stream opened before the outage stayed up: it gets that version, however long the catch-up takes.
    const caughtUp = (async () => {
      let event = await stream.next(60_000);
      while (event && event.data.name !== "After the outage") event = await stream.next(60_000);
      return { event, ms: Date.now() - publishedAt };
    })();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    running = false;
    await Promise.all(workers);
    const { event, ms: catchUpMs } = await caughtUp;
    expect(event?.event).toBe("policy_version");
    await stream.close();

    // ---- nothing acknowledged was lost ----
    const lost: string[] = [];
    for (const id of acknowledged.policies) if ((await fetch(url(`/api/policies/${id}`), { headers: auth })).status !== 200) lost.push(id);
    const versions = ((await (await fetch(url("/api/policy/versions?limit=1000"), { headers: auth })).json()) as { data: { version: string }[] }).data.map((version) => version.version);
    for (const version of acknowledged.versions) if (!versions.includes(version)) lost.push(version);
    const agent = ((await (await fetch(url(`/api/agents/${beating.agentId}`), { headers: auth })).json()) as { data: { lastSeenAt: string } }).data;
    if (acknowledged.beatAt && Date.parse(agent.lastSeenAt) < Date.parse(acknowledged.beatAt)) lost.push(`heartbeat at ${acknowledged.beatAt}`);

    // Pools retired during the outage must not reconnect once PostgreSQL is back (they did, to 10 connections each,
    // within 20 s): the instance holds its pool and its LISTEN connection, no more.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, restartedAt + 10_000 - Date.now())));
    const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
    const [held] = await admin<{ connections: number }[]>`select count(*)::int as connections from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`;
    await admin.end();

    const total = (key: "tried" | "ok" | "failedCleanly") => tallies.before[key] + tallies.during[key] + tallies.after[key];
    const unclean = [...tallies.before.unclean, ...tallies.during.unclean, ...tallies.after.unclean];
    process.stdout.write(
      `database outage: ${total("tried")} requests tried (${tallies.during.tried} while PostgreSQL was down), ${total("ok")} answered, ` +
        `${total("failedCleanly")} failed cleanly (503 + Retry-After), ${unclean.length} unclean, ${lost.length} acknowledged writes lost ` +
        `(${acknowledged.policies.length} policies, ${acknowledged.versions.length} versions, heartbeats); first write taken ${recoveryMs} ms after PostgreSQL was back; ` +
        `the open stream got a publish made then after ${catchUpMs} ms; ${held!.connections} connections held 10 s after the restart\n`,
    );
    expect(unclean, instance.output()).toEqual([]);
    expect(lost).toEqual([]);
    expect(tallies.during.failedCleanly).toBeGreaterThan(0);
    expect(tallies.after.ok).toBeGreaterThan(0);
    expect(held!.connections).toBeLessThanOrEqual(MAX_CONNECTIONS);
  });
});

function newTally(): Tally {
  return { tried: 0, ok: 0, failedCleanly: 0, unclean: [] };
}

/** "ok", "503" for a clean refusal in the family's shape, or what was wrong with the answer. */
async function judge(response: Response, family: Family): Promise<"ok" | "503" | string> {
  if (response.status < 300) return "ok";
  const text = await response.text();
  const what = `${response.status} ${text.slice(0, 200)}`;
  if (response.status !== 503 || !(Number(response.headers.get("retry-after")) > 0)) return what;
  try {
    const body = JSON.parse(text) as { detail?: unknown; ok?: unknown; error?: { code?: unknown } };
    const clean = family === "detail" ? typeof body.detail === "string" : body.ok === false && body.error?.code === "unavailable";
    return clean ? "503" : what;
  } catch {
    return what;
  }
}
