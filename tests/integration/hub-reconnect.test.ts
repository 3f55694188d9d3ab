import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "@/db";
import { ALERT_RULE, enrollAgent, openStream, publish } from "../agent-helpers";
import { createTestOrg } from "../helpers";

// PGlite delivers notifications in-process; only PostgreSQL has a LISTEN connection that can drop.
describe.skipIf(process.env.PALISADE_TEST_ENGINE !== "postgres")("a dropped LISTEN connection", () => {
  it("reconnects and catches up from the event log, losing nothing", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    const stream = await openStream(agent.token);
    await stream.next();

    const listeners = (await getDb().execute(sql`
      select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen%'`)) as unknown as { pid: number }[];
    expect(listeners.length).toBeGreaterThan(0);
    const pids = listeners.map((row) => row.pid);
    await getDb().execute(sql`select pg_terminate_backend(pid) from unnest(${`{${pids.join(",")}}`}::int[]) as pid`);
    await expect
      .poll(async () => ((await getDb().execute(sql`select count(*)::int as n from pg_stat_activity where pid = any(${`{${pids.join(",")}}`}::int[])`)) as unknown as { n: number }[])[0]?.n)
      .toBe(0);
    // Committed while the hub is not listening: its NOTIFY reaches nobody.
    await publish(org, [ALERT_RULE], "while-disconnected");

    expect(await stream.next(15_000)).toMatchObject({ event: "policy_version", data: { name: "while-disconnected" } });
    await publish(org, [ALERT_RULE], "after-reconnect");
    expect(await stream.next(15_000)).toMatchObject({ event: "policy_version", data: { name: "after-reconnect" } });
    await stream.close();
  }, 40_000);
});
