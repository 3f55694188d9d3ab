import { describe, expect, it, vi } from "vitest";
import * as tokens from "@/app/(console)/settings/tokens/actions";
import * as users from "@/app/(console)/settings/users/actions";
import { setupAction } from "@/app/(auth)/setup/actions";
import * as item from "@/app/api/policies/[id]/route";
import * as collection from "@/app/api/policies/route";
import { listAuditLogs } from "@/db/queries/audit-logs";
import { listOrganizations } from "@/db/queries/organizations";
import { findSignInUser, findUsersByEmail } from "@/db/queries/users";
import { createUser } from "@/lib/users/service";
import type * as PasswordModule from "@/lib/auth/password";
import { attemptSignIn } from "@/lib/auth/sign-in";
import { consoleSession } from "../console-session";
import { call, createTestOrg, TEST_PASSWORD } from "../helpers";

// Console actions read the session through next/headers; here they run as `consoleSession.user`.
vi.mock("@/lib/auth/session", async (importOriginal) => (await import("../console-session")).sessionAsConsoleUser(importOriginal));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), refresh: vi.fn() }));
// Setup signs the new admin in through Auth.js, which needs a request: not what these tests are about.
vi.mock("@/auth", () => ({ signIn: vi.fn(), signOut: vi.fn(), updateSession: vi.fn() }));
const hashing = vi.hoisted(() => ({ calls: 0 }));
vi.mock("@/lib/auth/password", async (importOriginal) => {
  const password = await importOriginal<typeof PasswordModule>();
  return {
    ...password,
    hashPassword: (plain: string) => {
      hashing.calls++;
      return password.hashPassword(plain);
    },
  };
});

const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.set(key, value);
  return data;
};

async function failures(orgId: string, action: string) {
  return (await listAuditLogs({ orgId, action, limit: 100 })).filter((row) => !row.success).map((row) => ({ resource: row.resource, details: row.details, email: row.userEmail }));
}

describe("refused and failed attempts are audited, with the reason", () => {
  it("a viewer's toggle or delete of a critical policy (403)", async () => {
    const org = await createTestOrg();
    const id = "pol-mfa-required";
    expect((await call(item.PATCH, "PATCH", `/api/policies/${id}`, { token: org.viewer.token, params: { id } })).status).toBe(403);
    expect((await call(item.DELETE, "DELETE", `/api/policies/${id}?confirm=true`, { token: org.viewer.token, params: { id } })).status).toBe(403);
    const refused = { resource: `policy:${id}`, details: "Refused: the viewer role cannot do this", email: org.viewer.user.email };
    expect(await failures(org.orgId, "toggle_policy")).toEqual([refused]);
    expect(await failures(org.orgId, "delete_policy")).toEqual([refused]);
  });

  it("a duplicate policy id (409)", async () => {
    const org = await createTestOrg();
    const body = { id: "pol-usb", name: "USB", type: "access", rules: ["Deny mass storage"] };
    expect((await call(collection.POST, "POST", "/api/policies", { token: org.admin.token, body })).status).toBe(201);
    expect((await call(collection.POST, "POST", "/api/policies", { token: org.admin.token, body })).status).toBe(409);
    expect(await failures(org.orgId, "create_policy")).toEqual([{ resource: "policy:pol-usb", details: 'Refused: A policy with id "pol-usb" already exists', email: org.admin.user.email }]);
  });

  it("a token revocation, an MFA reset and a user creation that fail", async () => {
    const org = await createTestOrg();
    consoleSession.user = org.admin.user;
    expect(await tokens.revokeTokenAction(undefined, { id: "tok_doesnotexist" })).toMatchObject({ error: expect.any(String) });
    expect(await failures(org.orgId, "revoke_api_token")).toEqual([{ resource: "token:tok_doesnotexist", details: "Refused: no such live token of yours", email: org.admin.user.email }]);

    expect(await users.resetMfaAction(undefined, { userId: org.admin.user.id })).toMatchObject({ error: expect.any(String) });
    expect(await users.resetMfaAction(undefined, { userId: "user-nobody" })).toMatchObject({ error: "User not found" });
    expect((await failures(org.orgId, "mfa_reset")).map((row) => row.details)).toEqual(["Refused: user not found", "Refused: You cannot reset your own MFA. Ask another admin."]);

    const duplicate = await users.createUserAction(undefined, form({ email: org.viewer.user.email, role: "viewer", password: "long enough password" }));
    expect(duplicate).toMatchObject({ error: expect.stringContaining("already exists in this organization") });
    expect(await failures(org.orgId, "create_user")).toEqual([
      { resource: `user:${org.viewer.user.email}`, details: expect.stringContaining("Refused: A user with email"), email: org.admin.user.email },
    ]);

    consoleSession.user = org.viewer.user;
    expect(await users.createUserAction(undefined, form({ email: "new@example.test", role: "admin", password: "long enough password" }))).toMatchObject({
      error: "Not authorized: only admins can do this.",
    });
    expect((await failures(org.orgId, "create_user")).map((row) => row.details)).toContain("Refused: the viewer role cannot do this");
  });
});

describe("an email is unique within an organization, and says nothing about others", () => {
  it("creating a user whose email another organization has answers as for a new address, and each signs in", async () => {
    const [mine, theirs] = await Promise.all([createTestOrg(), createTestOrg()]);
    consoleSession.user = mine.admin.user;
    const taken = theirs.viewer.user.email;
    const created = await users.createUserAction(undefined, form({ email: taken, role: "viewer", password: "another long password" }));
    const fresh = await users.createUserAction(undefined, form({ email: "brand-new@example.test", role: "viewer", password: "another long password" }));
    expect(created.success).toBeDefined();
    expect(created.success?.replace(taken, "EMAIL")).toBe(fresh.success?.replace("brand-new@example.test", "EMAIL"));

    expect((await findUsersByEmail({ email: taken })).map((user) => user.orgId).sort()).toEqual([mine.orgId, theirs.orgId].sort());
    // Without an organization, the oldest account signs in; naming one picks that account.
    const ip = "198.51.100.200";
    expect(await attemptSignIn({ email: taken, password: TEST_PASSWORD, ip, userAgent: null })).toMatchObject({ ok: true, user: { orgId: theirs.orgId } });
    const [theirOrgName, myOrgName] = await Promise.all([orgName(theirs.orgId), orgName(mine.orgId)]);
    expect(await attemptSignIn({ email: taken, password: "another long password", organization: myOrgName, ip, userAgent: null })).toMatchObject({ ok: true, user: { orgId: mine.orgId } });
    expect(await attemptSignIn({ email: taken, password: "another long password", organization: theirOrgName, ip, userAgent: null })).toMatchObject({ ok: false, reason: "invalid_credentials" });
  });
});

async function orgName(orgId: string): Promise<string> {
  return (await listOrganizations()).find((organization) => organization.id === orgId)!.name;
}

describe("first-run setup", () => {
  it("checks that setup can still happen before hashing anything", async () => {
    await createTestOrg();
    hashing.calls = 0;
    const result = await setupAction({}, form({ organization: "Acme", email: "late@example.test", password: "a long enough password", confirm: "a long enough password" }));
    expect(result).toEqual({ error: "Setup is already complete: sign in instead." });
    expect(hashing.calls).toBe(0);
    expect(await findSignInUser({ email: "late@example.test" })).toBeNull();
  });
});

describe("creating users as the CLI does", () => {
  it("refuses a duplicate within one organization only", async () => {
    const org = await createTestOrg();
    await expect(createUser({ email: org.viewer.user.email.toUpperCase(), passwordHash: "x", role: "viewer", organization: { id: org.orgId } })).rejects.toThrow(/already exists/);
  });
});
