import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "@/db";
import { authenticateAgent } from "@/lib/auth/principal";
import { ALERT_RULE, enrollAgent, openStream, publish } from "../agent-helpers";
import { createTestOrg } from "../helpers";

/** Ends this process's LISTEN connection, and waits until it is gone. */
async function dropListenConnection(): Promise<void> {
  const listeners = (await getDb().execute(sql`
    select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen%'`)) as unknown as { pid: number }[];
  expect(listeners.length).toBeGreaterThan(0);
  const pids = listeners.map((row) => row.pid);
  await getDb().execute(sql`select pg_terminate_backend(pid) from unnest(${`{${pids.join(",")}}`}::int[]) as pid`);
  await expect
    .poll(async () => ((await getDb().execute(sql`select count(*)::int as n from pg_stat_activity where pid = any(${`{${pids.join(",")}}`}::int[])`)) as unknown as { n: number }[])[0]?.n)
    .toBe(0);
}

// PGlite delivers notifications in-process; only PostgreSQL has a LISTEN connection that can drop.
describe.skipIf(process.env.PALISADE_TEST_ENGINE !== "postgres")("a dropped LISTEN connection", () => {
  it("reconnects and catches up from the event log, losing nothing", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const stream = await openStream(agent.token);
    await stream.next();

    await dropListenConnection();
    // Committed while the hub is not listening: its NOTIFY reaches nobody.
    await publish(org, [ALERT_RULE], "while-disconnected");

    expect(await stream.next(15_000)).toMatchObject({ event: "policy_version", data: { name: "while-disconnected" } });
    await publish(org, [ALERT_RULE], "after-reconnect");
    expect(await stream.next(15_000)).toMatchObject({ event: "policy_version", data: { name: "after-reconnect" } });
    await stream.close();
  }, 40_000);

  it("forgets every cached agent on reconnecting, so a revocation whose notice was lost still shuts the agent out", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const request = { headers: new Headers({ authorization: `Bearer ${agent.token}` }) };
    await authenticateAgent(request); // now cached
    await dropListenConnection();
    // Another instance revokes it while this one is not listening: no notice reaches this instance.
    await getDb().execute(sql`update agents set revoked_at = now() where id = ${agent.agentId}`);
    // Well inside the cache's 60 s lifetime: only the reconnection's clearing can make this pass.
    await expect.poll(() => authenticateAgent(request).then(() => "accepted", () => "refused"), { timeout: 15_000, interval: 200 }).toBe("refused");
  }, 40_000);
});
