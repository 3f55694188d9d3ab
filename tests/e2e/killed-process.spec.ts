import { expect, test } from "@playwright/test";
import postgres from "postgres";
import { BLOCK_RULE } from "./fleet-helpers";
import { adminToken, throwawayInstance } from "./instances";

const PORT = Number(process.env.E2E_PORT ?? 3100) + 31;
const POLICIES = 100;
const PUBLISHES = 100;
// Killed once this many toggles and publishes are acknowledged (publishes take turns on the organization's counter
// row, so they go slower): the rest are in flight, queued or not yet sent.
const KILL_AFTER = { toggles: 20, publishes: 10 };

/**
 * `kill -9` of a production instance in the middle of 200 concurrent changes (100 policy toggles, 100 agent policy
 * publishes) on its own PostgreSQL cluster. After a restart: every acknowledged change is there with its audit row,
 * no audit row lacks its change (nor a change its audit row), version numbers have no gaps, and the audit chain
 * verifies.
 */
test.describe("a server killed in the middle of writes", () => {
  const startCluster = throwawayInstance({ port: PORT });

  test("loses no acknowledged change, and commits no change without its audit row", async () => {
    const { cluster, instance } = await startCluster();
    const auth = await adminToken(instance, "Killed");
    const api = (path: string, init: RequestInit = {}) => fetch(`${instance.base}${path}`, { ...init, headers: auth });

    const ids = Array.from({ length: POLICIES }, (_, index) => `pol-kill-${index}`);
    for (const id of ids) {
      const created = await api("/api/policies", { method: "POST", body: JSON.stringify({ id, name: id, type: "network", rules: ["Deny telnet"] }) });
      expect(created.status).toBe(201);
    }

    // 200 changes at once. Each toggle acts on a policy of its own, so an acknowledged one names exactly what must be there.
    const acknowledged = { toggles: new Set<string>(), versions: new Set<number>() };
    let killed: Promise<void> | null = null;
    const settle = (response: Promise<Response>, onAck: (body: unknown) => void) =>
      response
        .then(async (answer) => {
          if (answer.status >= 300) return;
          onAck(await answer.json());
          if (acknowledged.toggles.size >= KILL_AFTER.toggles && acknowledged.versions.size >= KILL_AFTER.publishes) killed ??= instance.kill();
        })
        // A change the kill cut off: not acknowledged, so it may or may not have committed.
        .catch(() => {});
    const toggles = ids.map((id) => settle(api(`/api/policies/${id}`, { method: "PATCH" }), () => acknowledged.toggles.add(id)));
    const publishes = Array.from({ length: PUBLISHES }, (_, index) =>
      settle(api("/api/policy", { method: "POST", body: JSON.stringify({ name: `Publish ${index}`, rules: [BLOCK_RULE] }) }), (body) =>
        acknowledged.versions.add(Number((body as { data: { version: string } }).data.version.slice(1))),
      ),
    );
    await Promise.all([...toggles, ...publishes]);
    await killed;
    const acks = acknowledged.toggles.size + acknowledged.versions.size;
    const unacknowledged = POLICIES + PUBLISHES - acks;
    // The kill must land in the middle, or this proves nothing.
    expect(killed, instance.output()).not.toBeNull();
    expect(unacknowledged).toBeGreaterThan(0);

    await instance.restart();

    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
    try {
      const [org] = await sql<{ id: string }[]>`select id from organizations where name = 'Killed'`;
      const orgId = org!.id;

      // Toggles: a policy is disabled exactly when it has a `toggled` revision and a successful toggle_policy audit row.
      const policies = await sql<{ id: string; enabled: boolean; toggled: number; audited: number }[]>`
        select p.id, p.enabled,
          (select count(*)::int from policy_revisions r where r.org_id = p.org_id and r.policy_id = p.id and r.change = 'toggled') as toggled,
          (select count(*)::int from audit_logs a where a.org_id = p.org_id and a.action = 'toggle_policy' and a.success and a.resource = 'policy:' || p.id) as audited
        from policies p where p.org_id = ${orgId} and p.id like 'pol-kill-%'`;
      expect(policies).toHaveLength(POLICIES);
      for (const policy of policies) {
        const committed = !policy.enabled;
        expect({ id: policy.id, toggled: policy.toggled, audited: policy.audited }).toEqual({ id: policy.id, toggled: committed ? 1 : 0, audited: committed ? 1 : 0 });
        if (acknowledged.toggles.has(policy.id)) expect(committed, `${policy.id} was acknowledged`).toBe(true);
      }
      // Every policy's revisions are numbered 1, 2, … with no gap.
      const revisionGaps = await sql`
        select policy_id from policy_revisions where org_id = ${orgId} group by policy_id having max(revision) <> count(*) or min(revision) <> 1`;
      expect(revisionGaps).toEqual([]);

      // Publishes: versions 1…n with no gap, each with exactly one audit row and one event in the agents' log.
      const versions = (await sql<{ version: number }[]>`select version from agent_policy_versions where org_id = ${orgId} order by version`).map((row) => row.version);
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, index) => index + 1));
      for (const version of acknowledged.versions) expect(versions).toContain(version);
      const audited = (await sql<{ resource: string }[]>`select resource from audit_logs where org_id = ${orgId} and action = 'create_policy_version' and success order by resource`).map((row) => row.resource);
      expect(audited.sort()).toEqual(versions.map((version) => `agent-policy:v${version}`).sort());
      const [events] = await sql<{ count: number }[]>`select count(*)::int as count from agent_events where org_id = ${orgId} and type = 'policy_version'`;
      expect(events!.count).toBe(versions.length);

      // The audit chain survived the kill: no row committed without its place in it, no fork, no gap.
      expect(await instance.cli("audit", "verify", "--org", "Killed")).toMatch(/: Verified: \d+ rows chained/);

      // And the restarted server serves exactly that.
      const listed = await api("/api/policy/versions?limit=1000");
      expect(((await listed.json()) as { data: unknown[] }).data).toHaveLength(versions.length);

      const committedToggles = policies.filter((policy) => !policy.enabled).length;
      process.stdout.write(
        `kill -9 after ${acks} of ${POLICIES + PUBLISHES} changes acknowledged (${acknowledged.toggles.size} toggles, ${acknowledged.versions.size} publishes); ` +
          `${unacknowledged} cut off, of which ${committedToggles - acknowledged.toggles.size + versions.length - acknowledged.versions.size} had committed; ` +
          `after the restart: ${committedToggles} toggles and ${versions.length} versions, each with its audit row, none lost\n`,
      );
    } finally {
      await sql.end();
    }
  });
});
