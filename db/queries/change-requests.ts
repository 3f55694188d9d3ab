import { and, count, desc, eq, lt, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { changeRequests, type ChangeRequest } from "@/db/schema";
import type { ChangeRequestState } from "@/lib/change-requests/constants";

export async function insertChangeRequest(values: typeof changeRequests.$inferInsert, executor: Executor): Promise<ChangeRequest> {
  const [created] = await executor.insert(changeRequests).values(values).returning();
  return created!;
}

export async function getChangeRequest({ orgId, id, lock = false }: { orgId: string; id: string; lock?: boolean }, executor: Executor = getDb()): Promise<ChangeRequest | null> {
  const query = executor
    .select()
    .from(changeRequests)
    .where(and(eq(changeRequests.orgId, orgId), eq(changeRequests.id, id)));
  const [row] = lock ? await query.for("update") : await query;
  return row ?? null;
}

export function listChangeRequests({ orgId, state, limit = 100 }: { orgId: string; state?: ChangeRequestState; limit?: number }): Promise<ChangeRequest[]> {
  return getDb()
    .select()
    .from(changeRequests)
    .where(and(eq(changeRequests.orgId, orgId), state ? eq(changeRequests.state, state) : undefined))
    .orderBy(desc(changeRequests.createdAt), desc(changeRequests.id))
    .limit(limit);
}

export async function countPendingChangeRequests({ orgId }: { orgId: string }): Promise<number> {
  const [row] = await getDb()
    .select({ value: count() })
    .from(changeRequests)
    .where(and(eq(changeRequests.orgId, orgId), eq(changeRequests.state, "pending"), sql`${changeRequests.expiresAt} > now()`));
  return row?.value ?? 0;
}

/** Moves a request from one state to the next; null when it is no longer in `from` (someone else moved it first). */
export async function transitionChangeRequest(
  { orgId, id, from, to, decision }: { orgId: string; id: string; from: ChangeRequestState; to: ChangeRequestState; decision?: { userId: string | null; email: string | null; comment: string } },
  executor: Executor,
): Promise<ChangeRequest | null> {
  const [moved] = await executor
    .update(changeRequests)
    .set({
      state: to,
      updatedAt: sql`now()`,
      ...(decision ? { decidedBy: decision.userId, decidedByEmail: decision.email, decisionComment: decision.comment, decidedAt: sql`now()` } : {}),
    })
    .where(and(eq(changeRequests.orgId, orgId), eq(changeRequests.id, id), eq(changeRequests.state, from)))
    .returning();
  return moved ?? null;
}

/** Pending requests past their expiry, now expired (all organizations, or one). */
export function expireOverdueChangeRequests({ orgId }: { orgId?: string }, executor: Executor = getDb()): Promise<ChangeRequest[]> {
  return executor
    .update(changeRequests)
    .set({ state: "expired", updatedAt: sql`now()` })
    .where(and(orgId ? eq(changeRequests.orgId, orgId) : undefined, eq(changeRequests.state, "pending"), lt(changeRequests.expiresAt, sql`now()`)))
    .returning();
}

/** A user's pending requests, now cancelled (the user was disabled). */
export function cancelPendingRequestsOf({ orgId, userId }: { orgId: string; userId: string }, executor: Executor): Promise<ChangeRequest[]> {
  return executor
    .update(changeRequests)
    .set({ state: "cancelled", decisionComment: "Its author was disabled", decidedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(changeRequests.orgId, orgId), eq(changeRequests.requestedBy, userId), eq(changeRequests.state, "pending")))
    .returning();
}
