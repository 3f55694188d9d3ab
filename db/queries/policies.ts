import { and, asc, eq, getTableColumns, sql, type AnyColumn } from "drizzle-orm";
import { getDb, prepared, type Executor } from "@/db";
import { policies, type NewPolicy, type Policy } from "@/db/schema";
import type { PolicyType } from "@/lib/policies/constants";
import type { ActiveSettings, PolicyKind } from "@/lib/policies/kinds";

export interface PolicyFilter {
  type?: PolicyType;
  enabled?: boolean;
}

/** The organization's policies, oldest first. */
export function listPolicies({ orgId, type, enabled }: { orgId: string } & PolicyFilter): Promise<Policy[]> {
  const query = prepared(`list_policies${type === undefined ? "" : "_by_type"}${enabled === undefined ? "" : "_by_state"}`, (db, name) =>
    db
      .select()
      .from(policies)
      .where(
        and(
          eq(policies.orgId, sql.placeholder("orgId")),
          type === undefined ? undefined : eq(policies.type, sql.placeholder("type")),
          enabled === undefined ? undefined : eq(policies.enabled, sql.placeholder("enabled")),
        ),
      )
      .orderBy(asc(policies.createdAt), asc(policies.id))
      .prepare(name),
  );
  return query.execute({ orgId, type, enabled });
}

/** One policy of the organization. With `lock`, the row stays locked until the transaction ends. */
export async function getPolicy({ orgId, id, lock = false }: { orgId: string; id: string; lock?: boolean }, executor: Executor = getDb()): Promise<Policy | null> {
  const query = executor
    .select()
    .from(policies)
    .where(and(eq(policies.orgId, orgId), eq(policies.id, id)));
  const [policy] = lock ? await query.for("update") : await query;
  return policy ?? null;
}

/** Inserts policies; one whose id the organization already has is skipped. Returns those inserted. */
export function insertPolicies(rows: NewPolicy[], executor: Executor = getDb()): Promise<Policy[]> {
  // Only a taken id is skipped: a second enabled policy of a kind must fail, not vanish.
  return executor.insert(policies).values(rows).onConflictDoNothing({ target: [policies.orgId, policies.id] }).returning();
}

export type PolicyChanges = Partial<Pick<Policy, "name" | "description" | "type" | "rules" | "enabled" | "settings">>;

/** The organization's enabled policy of a kind, if any (at most one, by a unique index). */
export async function findEnabledPolicyOfKind({ orgId, kind }: { orgId: string; kind: PolicyKind }, executor: Executor = getDb()): Promise<Policy | null> {
  const [policy] = await executor
    .select()
    .from(policies)
    .where(and(eq(policies.orgId, orgId), eq(policies.kind, kind), eq(policies.enabled, true)));
  return policy ?? null;
}

/** Applies changes to one policy of the organization. Null when it has no such policy. */
export async function updatePolicyRow({ orgId, id, changes }: { orgId: string; id: string; changes: PolicyChanges }, executor: Executor = getDb()): Promise<Policy | null> {
  const [updated] = await executor
    .update(policies)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(and(eq(policies.orgId, orgId), eq(policies.id, id)))
    .returning();
  return updated ?? null;
}

/**
 * Sets `enabled` on one policy of the organization, or flips it when `enabled` is undefined, in one statement: it
 * locks the row and returns the policy as it was and as it is now. A concurrent toggle waits for the lock and then
 * sees the committed state. Null when the organization has no such policy.
 */
export async function setPolicyEnabled(
  { orgId, id, enabled }: { orgId: string; id: string; enabled: boolean | undefined },
  executor: Executor,
): Promise<{ before: Policy; after: Policy } | null> {
  const current = executor
    .select({ enabled: policies.enabled, updatedAt: policies.updatedAt })
    .from(policies)
    .where(and(eq(policies.orgId, orgId), eq(policies.id, id)))
    .for("update")
    .as("current");
  const [row] = await executor
    .update(policies)
    .set({ enabled: enabled ?? sql`not ${current.enabled}`, updatedAt: sql`now()` })
    .where(and(eq(policies.orgId, orgId), eq(policies.id, id)))
    .from(current)
    .returning({ ...getTableColumns(policies), wasEnabled: current.enabled, wasUpdatedAt: current.updatedAt });
  if (!row) return null;
  const { wasEnabled, wasUpdatedAt, ...after } = row;
  return { before: { ...after, enabled: wasEnabled, updatedAt: wasUpdatedAt }, after };
}

/** Deletes one policy of the organization, returning it; null when it has no such policy. */
export async function deletePolicyRow({ orgId, id }: { orgId: string; id: string }, executor: Executor = getDb()): Promise<Policy | null> {
  const [deleted] = await executor
    .delete(policies)
    .where(and(eq(policies.orgId, orgId), eq(policies.id, id)))
    .returning();
  return deleted ?? null;
}

/**
 * A column with the settings of the organization's enabled policies that every console or API request is checked
 * against (the IP allowlist, the session timeout), by kind, `{}` without any. A subquery, so the request's
 * authentication reads them in its own statement, and a toggle applies to the next request on every instance.
 */
export function requestPoliciesOf(orgId: AnyColumn) {
  return sql<ActiveSettings>`(select coalesce(jsonb_object_agg(${policies.kind}, ${policies.settings}), '{}'::jsonb) from ${policies}
    where ${policies.orgId} = ${orgId} and ${policies.enabled} and ${policies.kind} in ('ip_allowlist', 'session_timeout'))`;
}
