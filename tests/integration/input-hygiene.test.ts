import { describe, expect, it, vi } from "vitest";
import * as enrollRoute from "@/app/api/agents/enroll/route";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as exportRoute from "@/app/api/audit-logs/export/route";
import * as auditLogs from "@/app/api/audit-logs/route";
import * as policyItem from "@/app/api/policies/[id]/route";
import * as policies from "@/app/api/policies/route";
import * as overrides from "@/app/api/policy/agent/[id]/overrides/route";
import * as policyRoute from "@/app/api/policy/route";
import { createPolicyAction } from "@/app/(console)/policies/actions";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { AUDIT_FIELD_LIMITS, recordAudit } from "@/lib/audit/log";
import { actorFor } from "@/lib/auth/principal";
import { createEnrollmentKey, enrollAgent } from "../agent-helpers";
import { consoleSession } from "../console-session";
import { call, createTestOrg } from "../helpers";

// Console actions read the session through next/headers; here they run as `consoleSession.user`.
vi.mock("@/lib/auth/session", async (importOriginal) => (await import("../console-session")).sessionAsConsoleUser(importOriginal));

const nested = (depth: number): unknown => {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i++) value = { child: value };
  return value;
};

describe("text that cannot be stored, and runaway nesting, answer 422 everywhere", () => {
  it("in bodies, with the field named in each API family's shape", async () => {
    const org = await createTestOrg();
    const created = await call(policies.POST, "POST", "/api/policies", { token: org.admin.token, body: { name: "USB\u0000", type: "access", rules: ["x"] } });
    expect(created.status).toBe(422);
    expect(await created.json()).toEqual({ detail: [expect.objectContaining({ loc: ["body", "name"] })] });

    const custom = { type: "custom", config: { condition: "x", action: "alert", params: { note: "a\uD800b" } } };
    const published = await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: { name: "p", rules: [custom] } });
    expect(published.status).toBe(422);
    expect(await published.json()).toMatchObject({ ok: false, error: { code: "validation_failed", details: [{ path: "rules[0].config.params.note" }] } });
  });

  it("in query strings and path segments", async () => {
    const org = await createTestOrg();
    for (const parameter of ["action", "resource", "user_email"]) {
      for (const route of [auditLogs.GET, exportRoute.GET]) {
        const response = await call(route, "GET", `/api/audit-logs?format=json&${parameter}=%00`, { token: org.viewer.token });
        expect(response.status, parameter).toBe(422);
        expect(await response.json()).toEqual({ detail: [expect.objectContaining({ loc: ["query", parameter] })] });
      }
    }
    const path = await call(policyItem.GET, "GET", "/api/policies/%00", { token: org.viewer.token, params: { id: "\u0000" } });
    expect(path.status).toBe(422);
  });

  it("bounds the depth of every body, and the depth and size of custom rule params", async () => {
    const org = await createTestOrg();
    const agent = await enrollAgent(org);
    // Written as text: serializing 5,000 levels would overflow this test's own stack.
    const deepJson = `${'{"child":'.repeat(5000)}{}${"}".repeat(5000)}`;
    const deepBody = `{"name":"deep","rules":[{"type":"custom","config":{"condition":"x","action":"alert","params":${deepJson}}}]}`;
    const published = await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: deepBody, headers: { "content-type": "application/json" } });
    expect(published.status).toBe(422);
    const deepParams = { type: "custom", config: { condition: "x", action: "alert", params: {} as Record<string, unknown> } };
    // Within the body's limit but past the field's own: 10 levels of params.
    const tenDeep = { ...deepParams, config: { ...deepParams.config, params: nested(10) as Record<string, unknown> } };
    expect((await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: { name: "ten", rules: [tenDeep] } })).status).toBe(422);
    const large = { ...deepParams, config: { ...deepParams.config, params: { blob: "x".repeat(20_000) } } };
    expect((await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: { name: "large", rules: [large] } })).status).toBe(422);
    const deepOverride = await call(overrides.PUT, "PUT", "/", {
      token: org.admin.token,
      params: { id: agent.agentId },
      body: `{"rules":[{"type":"custom","config":{"params":${deepJson}}}]}`,
      headers: { "content-type": "application/json" },
    });
    expect(deepOverride.status).toBe(422);
    const shallow = { ...deepParams, config: { ...deepParams.config, params: { threshold: { high: 3 } } } };
    expect((await call(policyRoute.POST, "POST", "/api/policy", { token: org.admin.token, body: { name: "ok", rules: [shallow] } })).status).toBe(201);
  });

  it("refuses control and bidi characters in names an agent reports, so none can pose as another", async () => {
    const org = await createTestOrg();
    const key = await createEnrollmentKey(org);
    for (const hostname of ["web-1\r\nweb-2", "invoice\u202Etxt.exe", "web\u0000"]) {
      const response = await call(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey: key, hostname } });
      expect(response.status, JSON.stringify(hostname)).toBe(422);
    }
    const badLabel = await call(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey: key, hostname: "h", labels: { ring: "canary\u2066" } } });
    expect(badLabel.status).toBe(422);
    const agent = await enrollAgent(org);
    for (const body of [{ policyVersion: null, agentVersion: "1\u0000" }, { policyVersion: null, hostname: "evil\r\nhost" }, { policyVersion: null, hostname: "\u202Egnp.exe" }]) {
      const beat = await call(heartbeatRoute.POST, "POST", "/api/agents/heartbeat", { token: agent.token, body });
      expect(beat.status, JSON.stringify(body)).toBe(422);
    }
  });

  it("in console forms", async () => {
    const org = await createTestOrg();
    consoleSession.user = org.admin.user;
    const form = new FormData();
    form.set("name", "Block\u0000USB");
    form.set("type", "access");
    form.set("rules", "x");
    const result = await createPolicyAction(undefined, form);
    expect(result).toMatchObject({ error: "Check the highlighted fields.", fields: { name: expect.stringContaining("NUL") } });
  });
});

describe("audit rows are bounded, whatever a caller sends", () => {
  it("cuts long text and replaces a huge snapshot by its size and digest", async () => {
    const org = await createTestOrg();
    const actor = { ...actorFor(org.admin.user), userAgent: "u".repeat(5000) };
    await recordAudit(actor, {
      action: "update_policy",
      resource: "r".repeat(10_000),
      details: "d".repeat(100_000),
      success: true,
      after: { rules: "x".repeat(AUDIT_FIELD_LIMITS.snapshotBytes + 1) },
    });
    const [row] = await listAuditLogs({ orgId: org.orgId, action: "update_policy", limit: 1 });
    expect(row!.details.length).toBe(AUDIT_FIELD_LIMITS.details);
    expect(row!.resource.length).toBe(AUDIT_FIELD_LIMITS.resource);
    expect(row!.userAgent!.length).toBe(AUDIT_FIELD_LIMITS.userAgent);
    expect(row!.after).toMatchObject({ truncated: true, bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});

describe("a client that leaves before its request is read", () => {
  it("is not answered and not logged as a server error, and nothing changes", async () => {
    const org = await createTestOrg();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const leaving = new AbortController();
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          leaving.abort();
          controller.error(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
        },
      });
      const request = new Request("http://localhost/api/policies/pol-mfa-required", {
        method: "PATCH",
        headers: { authorization: `Bearer ${org.admin.token}`, "content-type": "application/json" },
        body,
        duplex: "half",
        signal: leaving.signal,
      } as RequestInit);
      const response = await policyItem.PATCH(request, { params: Promise.resolve({ id: "pol-mfa-required" }) });
      expect(response.status).toBe(499);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
    const policy = await call(policyItem.GET, "GET", "/api/policies/pol-mfa-required", { token: org.admin.token, params: { id: "pol-mfa-required" } });
    expect((await policy.json()).enabled).toBe(true);
  });
});
