import { describe, expect, it, vi } from "vitest";
import { revokeTokenAction } from "@/app/(console)/settings/tokens/actions";
import * as agentItem from "@/app/api/agents/[id]/route";
import * as keyItem from "@/app/api/agents/enrollment-keys/[id]/route";
import * as keys from "@/app/api/agents/enrollment-keys/route";
import * as policyItem from "@/app/api/policies/[id]/route";
import * as policies from "@/app/api/policies/route";
import * as overrides from "@/app/api/policy/agent/[id]/overrides/route";
import * as agentPolicy from "@/app/api/policy/agent/[id]/route";
import * as republish from "@/app/api/policy/versions/[version]/republish/route";
import * as versions from "@/app/api/policy/versions/route";
import { listApiTokens } from "@/db/queries/api-tokens";
import { resetMfa } from "@/lib/auth/mfa";
import { findUserById } from "@/db/queries/users";
import { setUserDisabled, updateUserRole } from "@/lib/users/service";
import { actorFor } from "@/lib/auth/principal";
import { ApiError } from "@/lib/errors";
import { ALERT_RULE, BLOCK_RULE, createEnrollmentKey, enroll, enrollAgent, publish } from "../agent-helpers";
import { consoleSession } from "../console-session";
import { call, createTestOrg, type TestOrg } from "../helpers";

// Every write, made in organization A on an id that also exists in (or belongs to) organization B, must leave B
// exactly as it was.

// Console actions read the session through next/headers; here they run as `consoleSession.user`.
vi.mock("@/lib/auth/session", async (importOriginal) => (await import("../console-session")).sessionAsConsoleUser(importOriginal));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), refresh: vi.fn() }));

async function twoOrgs(): Promise<[TestOrg, TestOrg]> {
  return Promise.all([createTestOrg(), createTestOrg()]);
}

async function policiesOf(org: TestOrg): Promise<unknown> {
  return (await call(policies.GET, "GET", "/api/policies", { token: org.viewer.token })).json();
}

describe("security policies: toggle, update, delete and create in A leave B's policy of the same id untouched", () => {
  it("for the defaults and a custom policy", async () => {
    const [a, b] = await twoOrgs();
    const custom = { id: "pol-usb", name: "USB", type: "access", rules: ["Deny mass storage"] };
    for (const org of [a, b]) expect((await call(policies.POST, "POST", "/api/policies", { token: org.admin.token, body: custom })).status).toBe(201);
    const before = await policiesOf(b);

    for (const id of ["pol-mfa-required", "pol-usb"]) {
      expect((await call(policyItem.PATCH, "PATCH", "/", { token: a.admin.token, params: { id } })).status).toBe(200);
      expect((await call(policyItem.PUT, "PUT", "/", { token: a.admin.token, params: { id }, body: { name: "Renamed in A", rules: ["A's rule"] } })).status).toBe(200);
      expect((await call(policyItem.DELETE, "DELETE", "/?confirm=true", { token: a.admin.token, params: { id } })).status).toBe(200);
    }
    expect((await call(policies.POST, "POST", "/api/policies", { token: a.admin.token, body: { ...custom, name: "A's USB" } })).status).toBe(201);
    expect(await policiesOf(b)).toEqual(before);
  });
});

describe("agent policy: publishing and republishing in A leave B's versions untouched", () => {
  it("numbers each organization's versions on its own", async () => {
    const [a, b] = await twoOrgs();
    await publish(b, [BLOCK_RULE], "B's v1");
    const before = await (await call(versions.GET, "GET", "/api/policy/versions", { token: b.viewer.token })).json();
    await publish(a, [ALERT_RULE], "A's v1");
    expect((await call(republish.POST, "POST", "/", { token: a.admin.token, params: { version: "v1" } })).status).toBe(201);
    expect(await (await call(versions.GET, "GET", "/api/policy/versions", { token: b.viewer.token })).json()).toEqual(before);
  });
});

it("agents: overrides and revocation of B's agent from A answer 404 and change nothing", async () => {
  const [a, b] = await twoOrgs();
  await publish(b, [BLOCK_RULE]);
  const agent = await enrollAgent(b);
  const read = () => call(agentPolicy.GET, "GET", "/", { token: b.viewer.token, params: { id: agent.agentId } }).then((response) => response.json());
  const before = await read();

  const override = await call(overrides.PUT, "PUT", "/", { token: a.admin.token, params: { id: agent.agentId }, body: { rules: [{ type: "block_ip", enabled: false }] } });
  expect(override.status).toBe(404);
  expect((await call(agentItem.DELETE, "DELETE", "/", { token: a.admin.token, params: { id: agent.agentId } })).status).toBe(404);
  expect((await call(agentItem.GET, "GET", "/", { token: a.viewer.token, params: { id: agent.agentId } })).status).toBe(404);
  expect(await read()).toEqual(before);
  expect((await call(agentItem.GET, "GET", "/", { token: b.viewer.token, params: { id: agent.agentId } }).then((response) => response.json())) as { data: { revokedAt: unknown } }).toMatchObject({ data: { revokedAt: null } });
});

it("enrollment keys: revoking B's key from A answers 404, and the key still enrols", async () => {
  const [a, b] = await twoOrgs();
  const key = await createEnrollmentKey(b);
  const [listed] = ((await (await call(keys.GET, "GET", "/", { token: b.admin.token })).json()) as { data: { id: string }[] }).data;
  expect((await call(keyItem.DELETE, "DELETE", "/", { token: a.admin.token, params: { id: listed!.id } })).status).toBe(404);
  expect((await enroll(key, "still-works")).agentId).toMatch(/^agent-/);
});

it("API tokens: revoking B's token from A's console is refused, and the token still works", async () => {
  const [a, b] = await twoOrgs();
  const [token] = await listApiTokens({ orgId: b.orgId, userId: b.viewer.user.id });
  consoleSession.user = a.admin.user;
  expect(await revokeTokenAction(undefined, { id: token!.id })).toMatchObject({ error: expect.any(String) });
  expect((await call(policies.GET, "GET", "/api/policies", { token: b.viewer.token })).status).toBe(200);
});

it("users: role, disable and MFA reset of B's user from A are refused as not found, and B's user is unchanged", async () => {
  const [a, b] = await twoOrgs();
  const actor = actorFor(a.admin.user);
  const target = b.viewer.user;
  const before = await findUserById({ id: target.id });
  await expect(updateUserRole({ actor, userId: target.id, role: "admin" })).rejects.toBeInstanceOf(ApiError);
  await expect(setUserDisabled({ actor, userId: target.id, disabled: true })).rejects.toBeInstanceOf(ApiError);
  expect(await resetMfa({ actor, userId: target.id })).toBe(false);
  expect(await findUserById({ id: target.id })).toEqual(before);
});
