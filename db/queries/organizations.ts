import { asc, eq } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { organizations, orgCounters, type Organization } from "@/db/schema";
import { newOrganizationId } from "@/lib/ids";

/** Creates an organization with its counters row. Run inside the transaction that creates its first user. */
export async function createOrganization(executor: Executor, { name }: { name: string }): Promise<Organization> {
  const [organization] = await executor.insert(organizations).values({ id: newOrganizationId(), name }).returning();
  if (!organization) throw new Error("organization insert returned no row");
  await executor.insert(orgCounters).values({ orgId: organization.id });
  return organization;
}

export async function findOrganizationByName(executor: Executor, { name }: { name: string }): Promise<Organization | null> {
  const [organization] = await executor.select().from(organizations).where(eq(organizations.name, name));
  return organization ?? null;
}

export async function findOrganizationById({ id }: { id: string }): Promise<Organization | null> {
  const [organization] = await getDb().select().from(organizations).where(eq(organizations.id, id));
  return organization ?? null;
}

export function listOrganizations(): Promise<Organization[]> {
  return getDb().select().from(organizations).orderBy(asc(organizations.createdAt));
}
