import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import * as collection from "@/app/api/policies/route";
import * as item from "@/app/api/policies/[id]/route";
import * as auditLogs from "@/app/api/audit-logs/route";
import { getDb } from "@/db";
import { call, createTestOrg, type TestOrg } from "../helpers";

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function listAudit(token: string, query = "") {
  const response = await call(auditLogs.GET, "GET", `/api/audit-logs${query}`, { token });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>[];
}

function toggle(org: TestOrg, id: string, body?: unknown) {
  return call(item.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id }, body });
}

let org: TestOrg;
beforeEach(async () => {
  org = await createTestOrg();
});

describe("GET /api/policies", () => {
  it("creates the three default policies exactly as the document shows them", async () => {
    const response = await call(collection.GET, "GET", "/api/policies", { token: org.viewer.token });
    expect(response.status).toBe(200);
    const policies = (await response.json()) as Record<string, unknown>[];
    expect(policies.map(({ created_at: _createdAt, ...rest }) => rest)).toEqual([
      {
        id: "pol-mfa-required",
        name: "MFA Required",
        description: "Enforce multi-factor authentication for all users",
        type: "access",
        rules: ["Require MFA for login", "WebAuthn preferred", "TOTP as fallback"],
        enabled: true,
      },
      {
        id: "pol-network-zero-trust",
        name: "Zero Trust Network",
        description: "All connections through encrypted NetBird tunnels",
        type: "network",
        rules: ["No direct connections", "WireGuard encryption", "Identity verification"],
        enabled: true,
      },
      {
        id: "pol-session-recording",
        name: "Session Recording",
        description: "Record all workspace sessions for audit",
        type: "session",
        rules: ["Record screen activity", "Log keystrokes for audit", "30-day retention"],
        enabled: true,
      },
    ]);
    for (const policy of policies) {
      expect(Object.keys(policy)).toEqual(["id", "name", "description", "type", "rules", "enabled", "created_at"]);
      expect(policy.created_at).toMatch(ISO_MS);
    }
  });

  it("seeds exactly three policies when 20 first requests race", async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => call(collection.GET, "GET", "/api/policies", { token: org.admin.token })),
    );
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(await response.json()).toHaveLength(3);
    }
    const seeded = await listAudit(org.admin.token, "?action=seed_default_policies");
    expect(seeded).toHaveLength(1);
  });

  it("filters by type and by enabled state", async () => {
    await toggle(org, "pol-session-recording");
    const byType = await call(collection.GET, "GET", "/api/policies?type=network", { token: org.viewer.token });
    expect(((await byType.json()) as { id: string }[]).map((p) => p.id)).toEqual(["pol-network-zero-trust"]);
    const disabled = await call(collection.GET, "GET", "/api/policies?enabled=false", { token: org.viewer.token });
    expect(((await disabled.json()) as { id: string }[]).map((p) => p.id)).toEqual(["pol-session-recording"]);
    const enabled = await call(collection.GET, "GET", "/api/policies?enabled=true&type=session", { token: org.viewer.token });
    expect(await enabled.json()).toEqual([]);
  });

  it("refuses an unknown filter value with a 422 naming the parameter", async () => {
    const response = await call(collection.GET, "GET", "/api/policies?type=firewall&enabled=maybe", { token: org.viewer.token });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { detail: { loc: unknown[]; msg: string }[] };
    expect(body.detail.map((problem) => problem.loc)).toEqual([
      ["query", "type"],
      ["query", "enabled"],
    ]);
    expect(body.detail[1]?.msg).toBe("must be true or false");
  });
});

describe("PATCH /api/policies/{id}", () => {
  it("toggles, answers the documented messages, and audits each change", async () => {
    const off = await toggle(org, "pol-mfa-required");
    expect(off.status).toBe(200);
    expect(await off.json()).toEqual({ message: "Policy disabled", enabled: false });
    const on = await toggle(org, "pol-mfa-required");
    expect(await on.json()).toEqual({ message: "Policy enabled", enabled: true });

    const [latest, previous] = await listAudit(org.viewer.token, "?action=toggle_policy");
    expect(latest).toMatchObject({
      user_id: org.admin.user.id,
      user_email: org.admin.user.email,
      action: "toggle_policy",
      resource: "policy:pol-mfa-required",
      details: "Policy enabled",
      success: true,
      before: { enabled: false },
      after: { enabled: true },
    });
    expect(latest?.id).toMatch(/^log-\d+$/);
    expect(latest?.timestamp).toMatch(ISO_MS);
    expect(previous).toMatchObject({ details: "Policy disabled", success: true });
  });

  it("sets the state idempotently when the body names it", async () => {
    for (let i = 0; i < 2; i++) {
      const response = await toggle(org, "pol-network-zero-trust", { enabled: false });
      expect(await response.json()).toEqual({ message: "Policy disabled", enabled: false });
    }
  });

  it("answers 404 for an unknown policy and audits the failed attempt", async () => {
    const response = await toggle(org, "pol-does-not-exist");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: "Policy not found" });
    const [entry] = await listAudit(org.admin.token, "?action=toggle_policy");
    expect(entry).toMatchObject({ resource: "policy:pol-does-not-exist", success: false, details: "Policy not found" });
  });

  it("leaves the state 50 flips imply, with exactly 50 audit rows, under 50 parallel toggles", async () => {
    await call(collection.GET, "GET", "/api/policies", { token: org.admin.token });
    const responses = await Promise.all(Array.from({ length: 50 }, () => toggle(org, "pol-mfa-required")));
    const states = await Promise.all(responses.map(async (r) => ((await r.json()) as { enabled: boolean }).enabled));
    // Each toggle saw a distinct state: exactly half of them disabled it.
    expect(states.filter((enabled) => !enabled)).toHaveLength(25);
    const policy = await call(item.GET, "GET", "/api/policies/pol-mfa-required", { token: org.admin.token, params: { id: "pol-mfa-required" } });
    expect(((await policy.json()) as { enabled: boolean }).enabled).toBe(true);
    const audit = await listAudit(org.admin.token, "?action=toggle_policy&limit=1000");
    expect(audit).toHaveLength(50);
  });

  it("rolls the change back when its audit row cannot be written", async () => {
    await call(collection.GET, "GET", "/api/policies", { token: org.admin.token });
    const db = getDb();
    await db.execute(sql`create function palisade_test_fail_audit() returns trigger language plpgsql as $$
      begin raise exception 'audit storage unavailable'; end $$`);
    await db.execute(sql`create trigger palisade_test_fail_audit before insert on audit_logs
      for each row execute function palisade_test_fail_audit()`);
    try {
      const response = await toggle(org, "pol-mfa-required");
      expect(response.status).toBe(500);
      const body = JSON.stringify(await response.json());
      expect(body).toBe(JSON.stringify({ detail: "Internal server error" }));
    } finally {
      await db.execute(sql`drop trigger palisade_test_fail_audit on audit_logs`);
      await db.execute(sql`drop function palisade_test_fail_audit`);
    }
    const policy = await call(item.GET, "GET", "/api/policies/pol-mfa-required", { token: org.admin.token, params: { id: "pol-mfa-required" } });
    expect(((await policy.json()) as { enabled: boolean }).enabled).toBe(true);
  });
});

describe("POST /api/policies", () => {
  const valid = { name: "Block USB storage", type: "access", rules: ["Deny mass storage devices"] };

  it("creates a custom policy with a generated id, and audits it", async () => {
    const response = await call(collection.POST, "POST", "/api/policies", { token: org.admin.token, body: valid });
    expect(response.status).toBe(201);
    const created = (await response.json()) as Record<string, unknown>;
    expect(created).toMatchObject({ ...valid, description: "", enabled: true });
    expect(created.id).toMatch(/^pol-block-usb-storage-[0-9a-f]{6}$/);
    expect(response.headers.get("location")).toBe(`/api/policies/${String(created.id)}`);
    const [entry] = await listAudit(org.admin.token, "?action=create_policy");
    expect(entry).toMatchObject({ resource: `policy:${String(created.id)}`, success: true, after: { name: valid.name } });
    const list = await call(collection.GET, "GET", "/api/policies", { token: org.admin.token });
    expect(await list.json()).toHaveLength(4);
  });

  it("answers 409 for a duplicate id", async () => {
    const body = { ...valid, id: "pol-usb" };
    expect((await call(collection.POST, "POST", "/api/policies", { token: org.admin.token, body })).status).toBe(201);
    const duplicate = await call(collection.POST, "POST", "/api/policies", { token: org.admin.token, body });
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toEqual({ detail: 'A policy with id "pol-usb" already exists' });
    const defaultId = await call(collection.POST, "POST", "/api/policies", { token: org.admin.token, body: { ...valid, id: "pol-mfa-required" } });
    expect(defaultId.status).toBe(409);
  });

  it("names each bad field in a 422", async () => {
    const response = await call(collection.POST, "POST", "/api/policies", {
      token: org.admin.token,
      body: { id: "Bad Id!", name: "  ", type: "firewall", rules: ["ok", ""], enabled: "yes", colour: "red" },
    });
    expect(response.status).toBe(422);
    const { detail } = (await response.json()) as { detail: { loc: unknown[]; msg: string; type: string }[] };
    expect(detail.map((problem) => problem.loc)).toEqual(
      expect.arrayContaining([
        ["body", "id"],
        ["body", "name"],
        ["body", "type"],
        ["body", "rules", 1],
        ["body", "enabled"],
        ["body"],
      ]),
    );
    for (const problem of detail) expect(problem.msg.length).toBeGreaterThan(0);
  });

  it("refuses an empty rule list, a missing body, malformed JSON and an oversized body", async () => {
    const empty = await call(collection.POST, "POST", "/api/policies", { token: org.admin.token, body: { ...valid, rules: [] } });
    expect(empty.status).toBe(422);
    const missing = await call(collection.POST, "POST", "/api/policies", { token: org.admin.token });
    expect(missing.status).toBe(422);
    const malformed = await call(collection.POST, "POST", "/api/policies", { token: org.admin.token, body: '{"name": "x",' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ detail: "Malformed JSON in request body" });
    const huge = await call(collection.POST, "POST", "/api/policies", {
      token: org.admin.token,
      body: { ...valid, description: "x".repeat(1024 * 1024) },
    });
    expect(huge.status).toBe(413);
    const list = await call(collection.GET, "GET", "/api/policies", { token: org.admin.token });
    expect(await list.json()).toHaveLength(3);
  });
});

describe("PUT /api/policies/{id}", () => {
  it("updates the given fields and audits a before/after snapshot", async () => {
    const response = await call(item.PUT, "PUT", "/api/policies/pol-session-recording", {
      token: org.admin.token,
      params: { id: "pol-session-recording" },
      body: { rules: ["Record screen activity", "90-day retention"], description: "Record sessions" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: "pol-session-recording",
      name: "Session Recording",
      description: "Record sessions",
      rules: ["Record screen activity", "90-day retention"],
    });
    const [entry] = await listAudit(org.admin.token, "?action=update_policy");
    expect(entry).toMatchObject({
      resource: "policy:pol-session-recording",
      before: { rules: ["Record screen activity", "Log keystrokes for audit", "30-day retention"] },
      after: { rules: ["Record screen activity", "90-day retention"] },
    });
  });

  it("accepts a policy read back from GET, and refuses a different id or an empty update", async () => {
    const read = await call(item.GET, "GET", "/api/policies/pol-mfa-required", { token: org.admin.token, params: { id: "pol-mfa-required" } });
    const policy = (await read.json()) as Record<string, unknown>;
    const roundTrip = await call(item.PUT, "PUT", "/api/policies/pol-mfa-required", {
      token: org.admin.token,
      params: { id: "pol-mfa-required" },
      body: { ...policy, name: "MFA for everyone" },
    });
    expect(roundTrip.status).toBe(200);
    const mismatch = await call(item.PUT, "PUT", "/api/policies/pol-mfa-required", {
      token: org.admin.token,
      params: { id: "pol-mfa-required" },
      body: { id: "pol-other", name: "x" },
    });
    expect(mismatch.status).toBe(422);
    const emptyUpdate = await call(item.PUT, "PUT", "/api/policies/pol-mfa-required", { token: org.admin.token, params: { id: "pol-mfa-required" }, body: {} });
    expect(emptyUpdate.status).toBe(422);
  });

  it("answers 404 for an unknown policy", async () => {
    const response = await call(item.PUT, "PUT", "/api/policies/nope", { token: org.admin.token, params: { id: "nope" }, body: { name: "x" } });
    expect(response.status).toBe(404);
  });
});

describe("DELETE /api/policies/{id}", () => {
  it("refuses a critical default without confirm=true, then deletes it with confirmation", async () => {
    const refused = await call(item.DELETE, "DELETE", "/api/policies/pol-mfa-required", { token: org.admin.token, params: { id: "pol-mfa-required" } });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { detail: string }).detail).toContain("confirm=true");
    const confirmed = await call(item.DELETE, "DELETE", "/api/policies/pol-mfa-required?confirm=true", {
      token: org.admin.token,
      params: { id: "pol-mfa-required" },
    });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toEqual({ message: "Policy deleted", id: "pol-mfa-required" });
    const list = await call(collection.GET, "GET", "/api/policies", { token: org.admin.token });
    expect(((await list.json()) as { id: string }[]).map((p) => p.id)).toEqual(["pol-network-zero-trust", "pol-session-recording"]);
    const audit = await listAudit(org.admin.token, "?action=delete_policy");
    expect(audit.map((entry) => entry.success)).toEqual([true, false]);
    expect(audit[0]).toMatchObject({ before: { id: "pol-mfa-required" } });
  });

  it("deletes a custom policy without confirmation, and answers 404 afterwards", async () => {
    await call(collection.POST, "POST", "/api/policies", {
      token: org.admin.token,
      body: { id: "pol-temp", name: "Temp", type: "session", rules: ["r"] },
    });
    const first = await call(item.DELETE, "DELETE", "/api/policies/pol-temp", { token: org.admin.token, params: { id: "pol-temp" } });
    expect(first.status).toBe(200);
    const second = await call(item.DELETE, "DELETE", "/api/policies/pol-temp", { token: org.admin.token, params: { id: "pol-temp" } });
    expect(second.status).toBe(404);
  });
});

describe("roles and organizations", () => {
  it("lets a viewer read but refuses every write with 403", async () => {
    const params = { id: "pol-mfa-required" };
    expect((await call(item.GET, "GET", "/api/policies/pol-mfa-required", { token: org.viewer.token, params })).status).toBe(200);
    const writes = [
      call(collection.POST, "POST", "/api/policies", { token: org.viewer.token, body: { name: "x", type: "access", rules: ["r"] } }),
      call(item.PATCH, "PATCH", "/api/policies/pol-mfa-required", { token: org.viewer.token, params }),
      call(item.PUT, "PUT", "/api/policies/pol-mfa-required", { token: org.viewer.token, params, body: { name: "x" } }),
      call(item.DELETE, "DELETE", "/api/policies/pol-mfa-required?confirm=true", { token: org.viewer.token, params }),
    ];
    for (const response of await Promise.all(writes)) {
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ detail: "Not authorized" });
    }
    const policy = await call(item.GET, "GET", "/api/policies/pol-mfa-required", { token: org.viewer.token, params });
    expect(await policy.json()).toMatchObject({ name: "MFA Required", enabled: true });
  });

  it("keeps organization B out of everything in organization A", async () => {
    const other = await createTestOrg();
    await call(collection.POST, "POST", "/api/policies", {
      token: org.admin.token,
      body: { id: "pol-secret", name: "A only", type: "network", rules: ["r"] },
    });
    await toggle(org, "pol-mfa-required");

    const params = { id: "pol-secret" };
    const reads = await call(item.GET, "GET", "/api/policies/pol-secret", { token: other.admin.token, params });
    expect(reads.status).toBe(404);
    for (const [handler, method] of [
      [item.PATCH, "PATCH"],
      [item.PUT, "PUT"],
      [item.DELETE, "DELETE"],
    ] as const) {
      const response = await call(handler, method, "/api/policies/pol-secret?confirm=true", { token: other.admin.token, params, body: method === "PUT" ? { name: "x" } : undefined });
      expect(response.status).toBe(404);
    }
    const otherList = (await (await call(collection.GET, "GET", "/api/policies", { token: other.admin.token })).json()) as { id: string; enabled: boolean }[];
    expect(otherList.map((p) => p.id)).not.toContain("pol-secret");
    expect(otherList.find((p) => p.id === "pol-mfa-required")?.enabled).toBe(true);
    const otherAudit = await listAudit(other.admin.token);
    expect(otherAudit.every((entry) => entry.user_email !== org.admin.user.email)).toBe(true);

    const mine = await call(item.GET, "GET", "/api/policies/pol-secret", { token: org.admin.token, params });
    expect(await mine.json()).toMatchObject({ name: "A only" });
  });
});
