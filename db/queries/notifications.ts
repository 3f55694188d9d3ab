import { sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";

/** Queues a NOTIFY; PostgreSQL delivers it when the statement's transaction commits, and never if it rolls back. */
export async function pgNotify({ channel, payload }: { channel: string; payload: string }, executor: Executor = getDb()): Promise<void> {
  await executor.execute(sql`select pg_notify(${channel}, ${payload})`);
}
