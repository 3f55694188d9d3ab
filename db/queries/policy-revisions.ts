import { and, desc, eq, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { policies, policyRevisions, type PolicyRevision } from "@/db/schema";
import type { PolicyRevisionChange } from "@/lib/policies/constants";
import type { PolicyJson } from "@/lib/policies/serialize";

export interface NewPolicyRevision {
  orgId: string;
  policyId: string;
  change: PolicyRevisionChange;
  policy: PolicyJson;
  restoredFrom?: number;
  userId?: string | null;
  userEmail?: string | null;
}

/**
 * Appends each policy's next revision, in one statement (each policy at most once: every row's number is read
 * before the statement writes). A number is the policy's last plus one: the change that
 * writes it holds the policy's row lock (or has just inserted the row), so two changes to one policy cannot take
 * the same number.
 */
export async function appendPolicyRevisions(revisions: NewPolicyRevision[], executor: Executor): Promise<void> {
  const next = ({ orgId, policyId }: NewPolicyRevision) =>
    sql<number>`(select coalesce(max(${policyRevisions.revision}), 0) + 1 from ${policyRevisions} where ${policyRevisions.orgId} = ${orgId} and ${policyRevisions.policyId} = ${policyId})`;
  if (revisions.length > 0) await executor.insert(policyRevisions).values(revisions.map((revision) => ({ ...revision, revision: next(revision) })));
}

/** A policy's revisions, newest first; empty when the organization never had the policy. */
export function listPolicyRevisions({ orgId, policyId }: { orgId: string; policyId: string }): Promise<PolicyRevision[]> {
  return getDb()
    .select()
    .from(policyRevisions)
    .where(and(eq(policyRevisions.orgId, orgId), eq(policyRevisions.policyId, policyId)))
    .orderBy(desc(policyRevisions.revision));
}

export async function getPolicyRevision({ orgId, policyId, revision }: { orgId: string; policyId: string; revision: number }, executor: Executor = getDb()): Promise<PolicyRevision | null> {
  const [row] = await executor
    .select()
    .from(policyRevisions)
    .where(and(eq(policyRevisions.orgId, orgId), eq(policyRevisions.policyId, policyId), eq(policyRevisions.revision, revision)));
  return row ?? null;
}

/** The organization's deleted policies: each one's last revision (its deletion), most recently deleted first. */
export async function listDeletedPolicies({ orgId }: { orgId: string }): Promise<PolicyRevision[]> {
  const latest = getDb()
    .selectDistinctOn([policyRevisions.policyId])
    .from(policyRevisions)
    .where(eq(policyRevisions.orgId, orgId))
    .orderBy(policyRevisions.policyId, desc(policyRevisions.revision))
    .as("latest");
  const rows = await getDb()
    .select()
    .from(latest)
    .where(
      and(
        eq(latest.change, "deleted"),
        sql`not exists (select 1 from ${policies} where ${policies.orgId} = ${orgId} and ${policies.id} = ${latest.policyId})`,
      ),
    )
    .orderBy(desc(latest.createdAt));
  return rows as PolicyRevision[];
}

/** The policy's newest revision number, 0 when it has none. */
export async function latestPolicyRevision({ orgId, policyId }: { orgId: string; policyId: string }, executor: Executor = getDb()): Promise<number> {
  const [row] = await executor
    .select({ value: sql<number>`coalesce(max(${policyRevisions.revision}), 0)::int` })
    .from(policyRevisions)
    .where(and(eq(policyRevisions.orgId, orgId), eq(policyRevisions.policyId, policyId)));
  return Number(row?.value ?? 0);
}
