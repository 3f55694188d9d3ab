import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { agents } from "@/db/schema";

/**
 * The fleet's status rules in SQL, for queries over the fleet: online is a heartbeat within
 * `offlineAfterSeconds`; outdated is no report, or a report older than the latest version. lib/agents/status.ts
 * states the same rules for agents in memory.
 */
export const onlineAgent = (offlineAfterSeconds: number): SQL => sql`(${agents.lastSeenAt} > now() - make_interval(secs => ${offlineAfterSeconds}))`;
export const outdatedAgent = (latestVersion: number): SQL => sql`(coalesce(${agents.reportedVersion}, 0) < ${latestVersion})`;
