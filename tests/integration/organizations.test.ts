import { readFileSync } from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { findOrganizationByName } from "@/db/queries/organizations";
import { listPolicies } from "@/db/queries/policies";
import { getDb } from "@/db";
import { organizations, orgCounters } from "@/db/schema";
import { randomHex } from "@/lib/ids";
import { DEFAULT_POLICIES } from "@/lib/policies/defaults";
import { createUser } from "@/lib/users/service";

describe("an organization is born with its default policies", () => {
  it("once, however many users of a new organization are created at the same time", async () => {
    const name = `born-${randomHex(4)}`;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => createUser({ email: `user-${i}@example.test`, passwordHash: "x", role: "viewer", organization: { name } })),
    );
    const organization = (await findOrganizationByName({ name }))!;
    expect((await listPolicies({ orgId: organization.id })).map((policy) => policy.id)).toEqual(DEFAULT_POLICIES.map((policy) => policy.id));
    expect(await listAuditLogs({ orgId: organization.id, action: "seed_default_policies", limit: 10 })).toHaveLength(1);
    expect(await listAuditLogs({ orgId: organization.id, action: "create_user", limit: 100 })).toHaveLength(12);
  });

  it("and the migration seeds, once, an organization that never was", async () => {
    const id = `org_${randomHex(8)}`;
    await getDb().insert(organizations).values({ id, name: `legacy-${randomHex(4)}` });
    await getDb().insert(orgCounters).values({ orgId: id });
    const statements = readFileSync(path.join("db", "migrations", "0003_seed_default_policies.sql"), "utf8").split("--> statement-breakpoint");
    for (let run = 0; run < 2; run++) for (const statement of statements) await getDb().execute(sql.raw(statement));
    expect((await listPolicies({ orgId: id })).map((policy) => [policy.id, policy.enabled])).toEqual(DEFAULT_POLICIES.map((policy) => [policy.id, true]));
    expect(await listAuditLogs({ orgId: id, action: "seed_default_policies", limit: 10 })).toHaveLength(1);
    const [seeded] = await getDb().select().from(organizations).where(eq(organizations.id, id));
    expect(seeded!.defaultPoliciesSeededAt).not.toBeNull();
  });
});
