import { and, eq, gt, ne, sql, sum } from "drizzle-orm";
import { getDb } from "@/db";
import { streamPresence } from "@/db/schema";
import type { LabelSetCount } from "@/lib/agent-policy/types";

/** Presence older than this belongs to an instance that stopped refreshing it, and is ignored. */
export const PRESENCE_TTL_SECONDS = 30;

/** Stores this instance's stream counts per organization (in all, and by label set), refreshing their timestamp. */
export async function savePresence({ instanceId, counts }: { instanceId: string; counts: Map<string, { connections: number; labelCounts: LabelSetCount[] }> }): Promise<void> {
  if (counts.size === 0) return;
  await getDb()
    .insert(streamPresence)
    .values([...counts].map(([orgId, { connections, labelCounts }]) => ({ instanceId, orgId, connections, labelCounts })))
    .onConflictDoUpdate({
      target: [streamPresence.instanceId, streamPresence.orgId],
      set: { connections: sql`excluded.connections`, labelCounts: sql`excluded.label_counts`, updatedAt: sql`now()` },
    });
}

const livePeersOf = ({ instanceId, orgId }: { instanceId: string; orgId: string }) =>
  and(eq(streamPresence.orgId, orgId), ne(streamPresence.instanceId, instanceId), gt(streamPresence.updatedAt, sql`now() - make_interval(secs => ${PRESENCE_TTL_SECONDS})`));

/** The other live instances' streams of the organization, by label set (one entry per instance and set). */
export async function remoteLabelCounts(peer: { instanceId: string; orgId: string }): Promise<LabelSetCount[]> {
  const rows = await getDb().select({ labelCounts: streamPresence.labelCounts }).from(streamPresence).where(livePeersOf(peer));
  return rows.flatMap((row) => row.labelCounts);
}

/** Streams of the organization held by the other live instances. */
export async function remoteStreamCount({ instanceId, orgId }: { instanceId: string; orgId: string }): Promise<number> {
  const [row] = await getDb()
    .select({ value: sum(streamPresence.connections).mapWith(Number) })
    .from(streamPresence)
    .where(livePeersOf({ instanceId, orgId }));
  return row?.value ?? 0;
}

export async function clearPresence({ instanceId }: { instanceId: string }): Promise<void> {
  await getDb().delete(streamPresence).where(eq(streamPresence.instanceId, instanceId));
}
