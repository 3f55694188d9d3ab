import { sql } from "drizzle-orm";
import { getDb } from "@/db";

/** Resolves when the database answers a trivial query. */
export async function pingDatabase(): Promise<void> {
  await getDb().execute(sql`select 1`);
}
