import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import * as policies from "@/app/api/policies/route";
import * as policy from "@/app/api/policies/[id]/route";
import * as agentPolicy from "@/app/api/policy/route";
import { getDb, queryRows } from "@/db";
import { BLOCK_RULE } from "../agent-helpers";
import { call, createTestOrg } from "../helpers";


describe("the audit chain under concurrent writes", () => {
  it("appends every change of every kind at once, each in its own transaction, without a deadlock or a gap", async () => {
    const org = await createTestOrg();
    const other = await createTestOrg();
    const token = org.admin.token;
    await call(policies.GET, "GET", "/api/policies", { token });
    // Publishes take the organization's event counter before their audit row; toggles and creations write their audit
    // row before their agent event. Mixed, they wait on each other's locks in both orders.
    const responses = await Promise.all([
      ...Array.from({ length: 10 }, (_, index) =>
        call(agentPolicy.POST, "POST", "/api/policy", { token, body: { name: `Concurrent ${index}`, rules: [BLOCK_RULE] } }),
      ),
      ...Array.from({ length: 10 }, (_, index) =>
        call(policies.POST, "POST", "/api/policies", { token, body: { id: `pol-concurrent-${index}`, name: `Concurrent ${index}`, type: "network", rules: ["Deny telnet"] } }),
      ),
      ...Array.from({ length: 10 }, () => call(policy.PATCH, "PATCH", "/api/policies/pol-mfa-required", { token, params: { id: "pol-mfa-required" } })),
    ]);
    expect(responses.map((response) => response.status).sort()).toEqual([...Array(10).fill(200), ...Array(20).fill(201)].sort());

    const chain = await queryRows<{ position: string | number; seq: string | number }>(
      getDb(),
      sql`select chain_position as position, seq from audit_logs where org_id = ${org.orgId} order by chain_position`,
    );
    const positions = chain.map((row) => Number(row.position));
    expect(positions).toEqual(Array.from({ length: positions.length }, (_, index) => index + 1));
    // The head names the last row.
    const [head] = await queryRows<{ position: string | number; hash: string }>(getDb(), sql`select position, hash from audit_chain_heads where org_id = ${org.orgId}`);
    expect(Number(head!.position)).toBe(positions.length);
    // The other organization's chain did not move.
    const [otherCount] = await queryRows<{ count: string | number }>(getDb(), sql`select count(*) as count from audit_logs where org_id = ${other.orgId}`);
    const [otherHead] = await queryRows<{ position: string | number }>(getDb(), sql`select position from audit_chain_heads where org_id = ${other.orgId}`);
    expect(Number(otherHead?.position ?? 0)).toBe(Number(otherCount!.count));
  });
});
