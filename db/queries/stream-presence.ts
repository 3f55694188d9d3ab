import { and, eq, gt, ne, sql, sum } from "drizzle-orm";
import { getDb } from "@/db";
import { streamPresence } from "@/db/schema";

/** Presence older than this belongs to an instance that stopped refreshing it, and is ignored. */
export const PRESENCE_TTL_SECONDS = 30;

/** Stores this instance's stream counts per organization, refreshing their timestamp. */
export async function savePresence({ instanceId, counts }: { instanceId: string; counts: Map<string, number> }): Promise<void> {
  if (counts.size === 0) return;
  await getDb()
    .insert(streamPresence)
    .values([...counts].map(([orgId, connections]) => ({ instanceId, orgId, connections })))
    .onConflictDoUpdate({
      target: [streamPresence.instanceId, streamPresence.orgId],
      set: { connections: sql`excluded.connections`, updatedAt: sql`now()` },
    });
}

/** Streams of the organization held by the other live instances. */
export async function remoteStreamCount({ instanceId, orgId }: { instanceId: string; orgId: string }): Promise<number> {
  const [row] = await getDb()
    .select({ value: sum(streamPresence.connections).mapWith(Number) })
    .from(streamPresence)
    .where(
      and(
        eq(streamPresence.orgId, orgId),
        ne(streamPresence.instanceId, instanceId),
        gt(streamPresence.updatedAt, sql`now() - make_interval(secs => ${PRESENCE_TTL_SECONDS})`),
      ),
    );
  return row?.value ?? 0;
}

export async function clearPresence({ instanceId }: { instanceId: string }): Promise<void> {
  await getDb().delete(streamPresence).where(eq(streamPresence.instanceId, instanceId));
}
