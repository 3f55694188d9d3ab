import { asc, eq, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { organizations, orgCounters, type Organization } from "@/db/schema";

/**
 * Creates an organization and its counters row, unless one with that name exists (then null): concurrent
 * creations of one name create it once.
 */
export async function insertOrganization({ id, name }: { id: string; name: string }, executor: Executor = getDb()): Promise<Organization | null> {
  const [organization] = await executor
    .insert(organizations)
    .values({ id, name, defaultPoliciesSeededAt: sql`now()` })
    .onConflictDoNothing()
    .returning();
  if (!organization) return null;
  await executor.insert(orgCounters).values({ orgId: organization.id });
  return organization;
}

export async function findOrganizationByName({ name }: { name: string }, executor: Executor = getDb()): Promise<Organization | null> {
  const [organization] = await executor.select().from(organizations).where(eq(organizations.name, name));
  return organization ?? null;
}

/** Locks the organization's row until the transaction ends: changes that must see each other's result take turns. */
export async function lockOrganization({ orgId }: { orgId: string }, executor: Executor): Promise<void> {
  await executor.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, orgId)).for("update");
}

export function listOrganizations(executor: Executor = getDb()): Promise<Organization[]> {
  return executor.select().from(organizations).orderBy(asc(organizations.createdAt));
}

/** Whether four-eyes is on, optionally locking the organization's row (a change of the setting takes turns with the changes it gates). */
export async function isFourEyesOn({ orgId, lock = false }: { orgId: string; lock?: boolean }, executor: Executor = getDb()): Promise<boolean> {
  const query = executor.select({ fourEyes: organizations.fourEyes }).from(organizations).where(eq(organizations.id, orgId));
  const [row] = lock ? await query.for("update") : await query;
  return row?.fourEyes ?? false;
}

export async function setFourEyesColumn({ orgId, on }: { orgId: string; on: boolean }, executor: Executor): Promise<void> {
  await executor.update(organizations).set({ fourEyes: on }).where(eq(organizations.id, orgId));
}
