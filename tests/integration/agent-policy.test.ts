import { beforeEach, describe, expect, it } from "vitest";
import * as auditLogs from "@/app/api/audit-logs/route";
import * as active from "@/app/api/policy/active/route";
import * as agentPolicy from "@/app/api/policy/agent/[id]/route";
import * as overrides from "@/app/api/policy/agent/[id]/overrides/route";
import * as policyRoute from "@/app/api/policy/route";
import * as versions from "@/app/api/policy/versions/route";
import * as version from "@/app/api/policy/versions/[version]/route";
import * as republish from "@/app/api/policy/versions/[version]/republish/route";
import { ALERT_RULE, BLOCK_RULE, enrollAgent, publish } from "../agent-helpers";
import { call, createTestOrg, type TestOrg } from "../helpers";

let org: TestOrg;
beforeEach(async () => {
  org = await createTestOrg();
});

const post = (body: unknown, token = org.admin.token) => call(policyRoute.POST, "POST", "/api/policy", { token, body });

describe("POST /api/policy", () => {
  it("answers the document's shape, with v1 then v2", async () => {
    const body = {
      name: "Block Brute Force Sources",
      description: "Automatically block IPs after repeated SSH failures",
      rules: [BLOCK_RULE, ALERT_RULE],
    };
    const response = await post(body);
    expect(response.status).toBe(201);
    const { ok, data } = (await response.json()) as { ok: boolean; data: Record<string, unknown> };
    expect(ok).toBe(true);
    expect(data).toMatchObject({ name: body.name, version: "v1", rules: [BLOCK_RULE, ALERT_RULE], broadcastedTo: 0 });
    expect(data.id).toMatch(/^pol_[0-9a-f]{12}$/);
    expect(data.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // Rule configs keep the document's key order on the way out.
    const [firstRule] = data.rules as { config: Record<string, unknown> }[];
    expect(Object.keys(firstRule!.config)).toEqual(["trigger", "threshold", "duration", "scope"]);
    expect((await publish(org)).version).toBe("v2");
  });

  it("defaults a rule's enabled flag to true", async () => {
    const { version: label } = await publish(org, [{ type: "custom", config: { condition: "proc.name == 'nc'", action: "alert" } }]);
    const response = await call(version.GET, "GET", `/api/policy/versions/${label}`, { token: org.viewer.token, params: { version: label } });
    expect(((await response.json()) as { data: { rules: { enabled: boolean }[] } }).data.rules[0]?.enabled).toBe(true);
  });

  it("numbers 50 parallel publishes v1 to v50, with no gap or duplicate", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => publish(org, [BLOCK_RULE], `p${i}`)));
    const numbers = results.map((result) => Number(result.version.slice(1))).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const latest = await call(active.GET, "GET", "/api/policy/active", { token: org.viewer.token });
    expect(((await latest.json()) as { data: { version: string } }).data.version).toBe("v50");
  });

  it("names every bad field by its path", async () => {
    const response = await post({
      name: "",
      rules: [
        BLOCK_RULE,
        { type: "block_ip", config: { trigger: "x", threshold: 0, duration: "2h", scope: "world" } },
        { type: "auto_respond", config: { trigger: "malware", action: "reboot", minConfidence: 1.5, requireApproval: "no" } },
        { type: "teleport", config: {} },
        { type: "alert_threshold", config: { severity: "critical", countPerHour: 5 } },
      ],
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { ok: boolean; error: { code: string; message: string; details: { path: string; message: string }[] } };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe("validation_failed");
    const paths = body.error.details.map((detail) => detail.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "name",
        "rules[1].config.threshold",
        "rules[1].config.duration",
        "rules[1].config.scope",
        "rules[2].config.action",
        "rules[2].config.minConfidence",
        "rules[2].config.requireApproval",
        "rules[3].type",
        "rules[4].config.notifyChannels",
      ]),
    );
    expect(body.error.details.find((detail) => detail.path === "rules[4].config.notifyChannels")?.message).toBe("is required");
  });

  it("answers 400, 401, 403, 404 and 413 in the envelope, and never half-writes", async () => {
    const malformed = await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: "{" });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ ok: false, error: { code: "invalid_json" } });
    const anonymous = await call(policyRoute.POST, "POST", "/api/policy", { body: { name: "x", rules: [BLOCK_RULE] } });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ ok: false, error: { code: "unauthenticated", message: "Not authenticated", details: [], requestId: anonymous.headers.get("x-request-id") } });
    expect((await post({ name: "x", rules: [BLOCK_RULE] }, org.viewer.token)).status).toBe(403);
    const otherOrg = await post({ name: "x", rules: [BLOCK_RULE], org_id: "org_someone_else" });
    expect(otherOrg.status).toBe(404);
    expect((await post({ name: "x", rules: [BLOCK_RULE], org_id: org.orgId })).status).toBe(201);
    const huge = await post({ name: "x", rules: [{ type: "custom", config: { condition: "x".repeat(1024 * 1024), action: "a" } }] });
    expect(huge.status).toBe(413);
    const list = await call(versions.GET, "GET", "/api/policy/versions", { token: org.viewer.token });
    expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it("audits each publish", async () => {
    await publish(org, [BLOCK_RULE], "Audited");
    const response = await call(auditLogs.GET, "GET", "/api/audit-logs?action=create_policy_version", { token: org.admin.token });
    const [entry] = (await response.json()) as Record<string, unknown>[];
    expect(entry).toMatchObject({ resource: "agent-policy:v1", success: true, user_email: org.admin.user.email, after: { name: "Audited", version: "v1" } });
  });
});

describe("reading versions", () => {
  it("answers 404 for the active policy before the first publish", async () => {
    const response = await call(active.GET, "GET", "/api/policy/active", { token: org.viewer.token });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  it("lists versions newest first, reads one by v3 or 3, and republishes an old one as a rollback", async () => {
    await publish(org, [BLOCK_RULE], "first");
    await publish(org, [ALERT_RULE], "second");
    const list = (await (await call(versions.GET, "GET", "/api/policy/versions", { token: org.viewer.token })).json()) as { data: { version: string }[] };
    expect(list.data.map((entry) => entry.version)).toEqual(["v2", "v1"]);
    for (const param of ["v1", "1"]) {
      const one = await call(version.GET, "GET", `/api/policy/versions/${param}`, { token: org.viewer.token, params: { version: param } });
      expect(((await one.json()) as { data: { name: string } }).data.name).toBe("first");
    }
    const missing = await call(version.GET, "GET", "/api/policy/versions/v9", { token: org.viewer.token, params: { version: "v9" } });
    expect(missing.status).toBe(404);
    const rollback = await call(republish.POST, "POST", "/api/policy/versions/v1/republish", { token: org.admin.token, params: { version: "v1" } });
    expect(rollback.status).toBe(201);
    expect(((await rollback.json()) as { data: unknown }).data).toMatchObject({ version: "v3", name: "first", rules: [BLOCK_RULE], republishedFrom: "v1" });
  });
});

describe("per-agent policy and overrides", () => {
  it("merges overrides onto the active rules, validates them, and audits the change", async () => {
    await publish(org, [BLOCK_RULE, ALERT_RULE]);
    const agent = await enrollAgent(org);
    const params = { id: agent.agentId };
    const put = (body: unknown) => call(overrides.PUT, "PUT", `/api/policy/agent/${agent.agentId}/overrides`, { token: org.admin.token, params, body });

    const set = await put({ rules: [{ type: "block_ip", config: { threshold: 10 } }, { type: "alert_threshold", enabled: false }] });
    expect(set.status).toBe(200);
    const read = await call(agentPolicy.GET, "GET", `/api/policy/agent/${agent.agentId}`, { token: org.viewer.token, params });
    const { data } = (await read.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({
      agentId: agent.agentId,
      policyVersion: null,
      appliedAt: null,
      rules: [
        { ...BLOCK_RULE, config: { ...BLOCK_RULE.config, threshold: 10 } },
        { ...ALERT_RULE, enabled: false },
      ],
    });

    const bad = await put({ rules: [{ type: "block_ip", config: { threshold: -1 } }, { type: "block_ip" }] });
    expect(bad.status).toBe(422);
    const paths = ((await bad.json()) as { error: { details: { path: string }[] } }).error.details.map((detail) => detail.path);
    expect(paths).toEqual(expect.arrayContaining(["rules[0].config.threshold", "rules[1].type"]));

    const [entry] = (await (await call(auditLogs.GET, "GET", "/api/audit-logs?action=set_agent_overrides", { token: org.admin.token })).json()) as Record<string, unknown>[];
    expect(entry).toMatchObject({ resource: `agent:${agent.agentId}`, before: { overrides: [] }, after: { overrides: [{ type: "block_ip" }, { type: "alert_threshold" }] } });
  });

  it("hides another organization's agent behind a 404", async () => {
    const agent = await enrollAgent(org);
    const other = await createTestOrg();
    const params = { id: agent.agentId };
    expect((await call(agentPolicy.GET, "GET", `/api/policy/agent/${agent.agentId}`, { token: other.admin.token, params })).status).toBe(404);
    const put = await call(overrides.PUT, "PUT", `/api/policy/agent/${agent.agentId}/overrides`, { token: other.admin.token, params, body: { rules: [] } });
    expect(put.status).toBe(404);
  });
});
