import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as collection from "@/app/api/policies/route";
import * as item from "@/app/api/policies/[id]/route";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { listPolicies } from "@/db/queries/policies";
import * as heartbeat from "@/app/api/agents/heartbeat/route";
import { attemptSignIn } from "@/lib/auth/sign-in";
import { runCommand } from "@/lib/cli/commands";
import { env } from "@/lib/env";
import { createEnrollmentKey, enroll } from "../agent-helpers";
import { call, createTestOrg, sessionCookie, TEST_PASSWORD, type TestOrg } from "../helpers";

let org: TestOrg;
let other: TestOrg;
let trustedProxies: number;
beforeEach(async () => {
  [org, other] = await Promise.all([createTestOrg(), createTestOrg()]);
  // The tests give each request its address in X-Forwarded-For, as a proxy in front would.
  trustedProxies = env().TRUSTED_PROXIES;
  env().TRUSTED_PROXIES = 1;
});
afterEach(() => {
  env().TRUSTED_PROXIES = trustedProxies;
});

const OFFICE = "203.0.113.7";

function create(body: unknown, { token = org.admin.token, ip = OFFICE } = {}) {
  return call(collection.POST, "POST", "/api/policies", { token, body, headers: { "x-forwarded-for": ip } });
}
function put(id: string, body: unknown, { ip = OFFICE } = {}) {
  return call(item.PUT, "PUT", `/api/policies/${id}`, { token: org.admin.token, params: { id }, body, headers: { "x-forwarded-for": ip } });
}
function toggle(id: string, enabled: boolean, { ip = OFFICE } = {}) {
  return call(item.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id }, body: { enabled }, headers: { "x-forwarded-for": ip } });
}

describe("creating a policy of a kind", () => {
  it("fills the defaults, takes the type from the kind, and generates the rules from the settings", async () => {
    const response = await create({ name: "Passwords", type: "access", kind: "password", settings: { minLength: 14 } });
    expect(response.status).toBe(201);
    const policy = await response.json();
    expect(policy).toMatchObject({
      name: "Passwords",
      type: "access",
      kind: "password",
      settings: { minLength: 14, rejectCommon: true },
      rules: ["Minimum length 14", "Common and easily guessed passwords rejected"],
      enabled: true,
    });
    const minimal = await (await create({ kind: "session_timeout", enabled: false })).json();
    expect(minimal).toMatchObject({ name: "Session timeout", type: "session", settings: { absoluteHours: 12, idleMinutes: 30 }, enabled: false });
    expect(minimal.rules).toEqual(["Sessions end 12 hours after sign-in", "Sessions end after 30 minutes without activity"]);
  });

  it("names each bad setting, a type that does not fit the kind, and rules that differ from the generated ones", async () => {
    const response = await create({ kind: "password", type: "network", rules: ["Anything goes"], settings: { minLength: 4, extra: 1 } });
    expect(response.status).toBe(422);
    const { detail } = await response.json();
    const locs = detail.map((field: { loc: unknown[] }) => field.loc.join("."));
    expect(locs).toEqual(["body.settings.minLength", "body.settings", "body.type"]);
    expect(detail.find((field: { loc: unknown[] }) => field.loc.join(".") === "body.settings.minLength").msg).toBe("must be at least 8");

    const badRange = await create({ kind: "ip_allowlist", settings: { cidrs: ["10.0.0.0/33", "not-an-address"] } });
    expect(badRange.status).toBe(422);
    const rangeErrors = (await badRange.json()).detail;
    expect(rangeErrors.map((field: { loc: unknown[] }) => field.loc.join("."))).toEqual(["body.settings.cidrs.0", "body.settings.cidrs.1"]);
    expect(rangeErrors[0].msg).toBe("must be an IPv4 or IPv6 address or CIDR range, such as 10.0.0.0/8 or 2001:db8::/32");
    const notAnObject = await create({ kind: "login_limits", settings: "strict" });
    expect(notAnObject.status).toBe(422);
  });

  it("keeps the documented policy's errors as they were", async () => {
    const response = await create({ description: "no name, type or rules" });
    expect(response.status).toBe(422);
    const { detail } = await response.json();
    expect(detail.map((field: { loc: unknown[] }) => field.loc.join("."))).toEqual(["body.name", "body.type", "body.rules"]);
    expect(detail[0]).toEqual({ loc: ["body", "name"], msg: "is required", type: "invalid_type" });
    const withSettings = await create({ name: "Plain", type: "access", rules: ["A rule"], settings: { minLength: 20 } });
    expect(withSettings.status).toBe(422);
  });

  it("normalizes IPv4 and IPv6 ranges and single addresses", async () => {
    const policy = await (await create({ kind: "ip_allowlist", settings: { cidrs: ["10.1.2.3/8", "2001:DB8:0:0::1/32", OFFICE, "::1"] } })).json();
    expect(policy.settings).toEqual({ cidrs: ["10.0.0.0/8", "2001:db8::/32", `${OFFICE}/32`, "::1/128"], appliesTo: "both" });
    expect(policy.rules).toEqual(["Only these addresses may reach the console and the API", "Allow 10.0.0.0/8", "Allow 2001:db8::/32", `Allow ${OFFICE}/32`, "Allow ::1/128"]);
  });
});

describe("one enabled policy of each kind", () => {
  it("refuses a second enabled one however it arrives, names the first, audits the refusal, and leaves the other organization free", async () => {
    const first = await (await create({ name: "Passwords", kind: "password" })).json();
    const second = await create({ name: "Stricter passwords", kind: "password", settings: { minLength: 20 } });
    expect(second.status).toBe(409);
    expect((await second.json()).detail).toContain(`("Passwords", ${first.id})`);

    const disabled = await (await create({ name: "Stricter passwords", kind: "password", settings: { minLength: 20 }, enabled: false })).json();
    expect((await toggle(disabled.id, true)).status).toBe(409);
    expect((await put(disabled.id, { enabled: true })).status).toBe(409);

    expect((await toggle(first.id, false)).status).toBe(200);
    expect((await toggle(disabled.id, true)).status).toBe(200);

    const audit = await listAuditLogs({ orgId: org.orgId, limit: 50 });
    expect(audit.filter((row) => !row.success && row.details.includes("Another password policy")).length).toBe(3);
    const elsewhere = await create({ name: "Passwords", kind: "password" }, { token: other.admin.token });
    expect(elsewhere.status).toBe(201);
  });

  it("lets exactly one of many concurrent creations through", async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, (_, index) => create({ name: `Limits ${index}`, kind: "login_limits" })));
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const enabled = (await listPolicies({ orgId: org.orgId, enabled: true })).filter((policy) => policy.kind === "login_limits");
    expect(enabled).toHaveLength(1);
  });
});

describe("changing settings with PUT", () => {
  it("merges the settings given into the policy's own and regenerates the rules", async () => {
    const policy = await (await create({ kind: "login_limits", settings: { maxFailures: 5 } })).json();
    const response = await put(policy.id, { settings: { lockoutMinutes: 60 } });
    expect(response.status).toBe(200);
    const updated = await response.json();
    expect(updated.settings).toEqual({ maxFailures: 5, windowMinutes: 15, lockoutMinutes: 60 });
    expect(updated.rules).toEqual(["At most 5 failed sign-ins in 15 minutes per account and address", "Locked for 60 minutes once the limit is reached"]);
    // A client may send back what it read, with one change.
    expect((await put(policy.id, { ...updated, name: "Limits" })).status).toBe(200);
  });

  it("refuses a new kind, a type that does not fit, foreign rules, bad settings, and settings on a policy without a kind", async () => {
    const policy = await (await create({ kind: "login_limits" })).json();
    const refused = await put(policy.id, { kind: "password", type: "network", rules: ["Mine"], settings: { maxFailures: 0 } });
    expect(refused.status).toBe(422);
    const locs = (await refused.json()).detail.map((field: { loc: unknown[] }) => field.loc.join("."));
    expect(locs).toEqual(["body.kind", "body.type", "body.settings.maxFailures"]);
    expect((await put(policy.id, { rules: ["Mine"] })).status).toBe(422);
    expect((await put("pol-mfa-required", { settings: { minLength: 20 } })).status).toBe(422);
    expect((await put("pol-mfa-required", { kind: "password", name: "Renamed" })).status).toBe(422);
    const unchanged = (await listPolicies({ orgId: org.orgId })).find((row) => row.id === policy.id);
    expect(unchanged?.settings).toEqual({ maxFailures: 10, windowMinutes: 15, lockoutMinutes: 15 });
  });
});

describe("the IP allowlist lockout guard", () => {
  it("refuses an allowlist that would shut out the admin making the change, on the channel they use", async () => {
    const refused = await create({ kind: "ip_allowlist", settings: { cidrs: ["198.51.100.0/24"] } });
    expect(refused.status).toBe(409);
    expect((await refused.json()).detail).toContain(`your address (${OFFICE}) on the API`);
    expect((await listPolicies({ orgId: org.orgId })).some((policy) => policy.kind === "ip_allowlist")).toBe(false);

    // Console-only: the API caller is not shut out.
    const consoleOnly = await create({ kind: "ip_allowlist", settings: { cidrs: ["198.51.100.0/24"], appliesTo: "console" } });
    expect(consoleOnly.status).toBe(201);
    const { id } = await consoleOnly.json();
    expect((await put(id, { settings: { appliesTo: "both" } })).status).toBe(409);
    expect((await put(id, { settings: { appliesTo: "both", cidrs: ["198.51.100.0/24", "203.0.113.0/24"] } })).status).toBe(200);
    // Re-enabling from an address outside it is refused too.
    expect((await toggle(id, false)).status).toBe(200);
    expect((await toggle(id, true, { ip: "192.0.2.1" })).status).toBe(409);
  });

  it("judges a console session by its own channel, and IPv6 addresses by their ranges", async () => {
    const cookie = await sessionCookie(org.admin.user);
    const viaConsole = (body: unknown, ip: string) =>
      call(collection.POST, "POST", "/api/policies", { body, headers: { cookie, origin: "http://localhost", "x-forwarded-for": ip } });
    const apiOnly = await viaConsole({ kind: "ip_allowlist", settings: { cidrs: ["2001:db8::/32"], appliesTo: "api" } }, "2001:db9::1");
    expect(apiOnly.status).toBe(201);
    const { id } = await apiOnly.json();
    expect((await toggle(id, false, { ip: "2001:db8:ffff::1" })).status).toBe(200);
    expect((await viaConsole({ kind: "ip_allowlist", settings: { cidrs: ["2001:db8::/32"] } }, "2001:db9::1")).status).toBe(409);
  });
});

describe("IP allowlist enforcement", () => {
  async function allowlist(settings: Record<string, unknown>) {
    const response = await create({ kind: "ip_allowlist", settings });
    expect(response.status).toBe(201);
    return (await response.json()).id as string;
  }

  it("refuses API calls from outside the list with 403, admits those inside it (IPv4 and IPv6), and leaves the other organization alone", async () => {
    await allowlist({ cidrs: ["203.0.113.0/24", "2001:db8::/32"] });
    const outside = await list("198.51.100.9");
    expect(outside.status).toBe(403);
    expect(await outside.json()).toEqual({ detail: "Your network address is not on your organization's IP allowlist" });
    expect((await list("2001:db9::1")).status).toBe(403);
    expect((await list("203.0.113.200")).status).toBe(200);
    expect((await list("2001:db8:1::5")).status).toBe(200);
    expect((await list("198.51.100.9", other.viewer.token)).status).toBe(200);
  });

  it("applies to console sessions, sign-in included, and not to the API when scoped to the console", async () => {
    const id = await allowlist({ cidrs: ["203.0.113.0/24"], appliesTo: "console" });
    expect((await list("198.51.100.9")).status).toBe(200);
    const cookie = await sessionCookie(org.viewer.user);
    const viaSession = (ip: string) => call(collection.GET, "GET", "/api/policies", { headers: { cookie, "x-forwarded-for": ip } });
    expect((await viaSession("198.51.100.9")).status).toBe(403);
    expect((await viaSession(OFFICE)).status).toBe(200);

    const refused = await attemptSignIn({ email: org.viewer.user.email, password: TEST_PASSWORD, ip: "198.51.100.9", userAgent: "test" });
    expect(refused).toEqual({ ok: false, reason: "address_not_allowed" });
    const [audited] = await listAuditLogs({ orgId: org.orgId, action: "login_failed", limit: 1 });
    expect(audited?.details).toContain("198.51.100.9 is not on the IP allowlist");
    // A wrong password from outside learns nothing about the allowlist.
    expect(await attemptSignIn({ email: org.viewer.user.email, password: "wrong password", ip: "198.51.100.10", userAgent: "test" })).toMatchObject({ reason: "invalid_credentials" });
    expect((await attemptSignIn({ email: org.viewer.user.email, password: TEST_PASSWORD, ip: OFFICE, userAgent: "test" })).ok).toBe(true);
    // Sign-in without a known address (recorded as "unknown") is refused, not an error.
    expect(await attemptSignIn({ email: org.viewer.user.email, password: TEST_PASSWORD, ip: "unknown", userAgent: "test" })).toEqual({ ok: false, reason: "address_not_allowed" });

    // Disabling it applies to the very next request.
    expect((await toggle(id, false)).status).toBe(200);
    expect((await viaSession("198.51.100.9")).status).toBe(200);
  });

  it("does not touch agents", async () => {
    const key = await createEnrollmentKey(org);
    await allowlist({ cidrs: [`${OFFICE}/32`] });
    const agent = await enroll(key);
    const beat = await call(heartbeat.POST, "POST", "/api/agents/heartbeat", { token: agent.token, body: { policyVersion: null }, headers: { "x-forwarded-for": "198.51.100.9" } });
    expect(beat.status).toBe(200);
  });

  it("refuses a request whose address cannot be known", async () => {
    await allowlist({ cidrs: ["0.0.0.0/0", "::/0"] });
    env().TRUSTED_PROXIES = 0;
    expect((await list(OFFICE)).status).toBe(403);
  });
});

describe("the way back in", () => {
  it("`policy disable` on the CLI turns off an allowlist that shuts every admin out, audited", async () => {
    const { id } = await (await create({ kind: "ip_allowlist", settings: { cidrs: [`${OFFICE}/32`] } })).json();
    expect((await list("198.51.100.9")).status).toBe(403);
    const out: string[] = [];
    const code = await runCommand(["policy", "disable", id, "--org", org.orgName], { out: (line) => out.push(line), err: () => {}, stdin: "" });
    expect(code).toBe(0);
    expect(out.join("\n")).toContain(`Disabled policy ${id}`);
    expect((await list("198.51.100.9")).status).toBe(200);
    const [audited] = await listAuditLogs({ orgId: org.orgId, action: "toggle_policy", limit: 1 });
    expect(audited).toMatchObject({ details: "Policy disabled", userAgent: "palisade-cli" });
    const missing = await runCommand(["policy", "disable", "pol-nope", "--org", org.orgName], { out: () => {}, err: () => {}, stdin: "" });
    expect(missing).toBe(1);
  });
});

function list(ip: string, token = org.viewer.token) {
  return call(collection.GET, "GET", "/api/policies", { token, headers: { "x-forwarded-for": ip } });
}
