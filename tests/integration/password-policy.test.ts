import { beforeEach, describe, expect, it } from "vitest";
import * as collection from "@/app/api/policies/route";
import * as item from "@/app/api/policies/[id]/route";
import { findSignInUser } from "@/db/queries/users";
import { hashNewPassword, passwordProblem, verifyPassword } from "@/lib/auth/password";
import { changeOwnPassword } from "@/lib/auth/password-change";
import { actorFor } from "@/lib/auth/principal";
import { runCommand } from "@/lib/cli/commands";
import { call, createTestOrg, TEST_PASSWORD, type TestOrg } from "../helpers";

let org: TestOrg;
beforeEach(async () => {
  org = await createTestOrg();
});

async function enablePasswordPolicy(settings: Record<string, unknown>): Promise<string> {
  const response = await call(collection.POST, "POST", "/api/policies", { token: org.admin.token, body: { name: "Passwords", kind: "password", settings } });
  expect(response.status).toBe(201);
  return (await response.json()).id;
}

async function cli(...argv: string[]) {
  const err: string[] = [];
  const code = await runCommand(argv, { out: () => {}, err: (line) => err.push(line), stdin: "" });
  return { code, err: err.join("\n") };
}

describe("the password rules", () => {
  it("without a password policy, asks for the length alone", async () => {
    expect(await hashNewPassword("elevenchars", { orgId: org.orgId, userInputs: [] })).toEqual({ ok: false, problem: expect.stringContaining("at least 12 characters") });
    expect((await hashNewPassword("password1234", { orgId: org.orgId, userInputs: [] })).ok).toBe(true);
  });

  it("with one enabled, asks for its length and refuses common passwords, naming the rule; disabling it restores the length alone", async () => {
    const id = await enablePasswordPolicy({ minLength: 14 });
    expect(await hashNewPassword("thirteen char", { orgId: org.orgId, userInputs: [] })).toEqual({ ok: false, problem: expect.stringContaining("minimum length 14") });
    const common = await hashNewPassword("Password123456!", { orgId: org.orgId, userInputs: [] });
    expect(common).toEqual({ ok: false, problem: expect.stringContaining("common passwords rejected") });
    // The user's own email is a guessable word.
    expect((await hashNewPassword("alice@example.test", { orgId: org.orgId, userInputs: ["alice@example.test"] })).ok).toBe(false);
    expect((await hashNewPassword("alice@example.test", { orgId: org.orgId, userInputs: [] })).ok).toBe(true);
    expect((await hashNewPassword(TEST_PASSWORD, { orgId: org.orgId, userInputs: [] })).ok).toBe(true);

    const toggled = await call(item.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id }, body: { enabled: false } });
    expect(toggled.status).toBe(200);
    expect((await hashNewPassword("Password123456!", { orgId: org.orgId, userInputs: [] })).ok).toBe(true);
  });

  it("takes up to 1024 characters, and a password zxcvbn scores 3 of 4", async () => {
    expect(await passwordProblem("x".repeat(1024), { minLength: 12, rejectCommon: false })).toBeNull();
    expect(await passwordProblem("x".repeat(1025), { minLength: 12, rejectCommon: false })).toBe("At most 1024 characters");
    expect(await passwordProblem("iloveyou2024!!", { minLength: 12, rejectCommon: true })).toBeNull();
  });

  it("gives a new organization's first password the template's defaults", async () => {
    expect((await hashNewPassword("password1234", { orgId: null, userInputs: [] })).ok).toBe(false);
    expect((await hashNewPassword(TEST_PASSWORD, { orgId: null, userInputs: [] })).ok).toBe(true);
  });
});

describe("where the rules are enforced", () => {
  it("refuses a weak new password on a password change, and keeps the old one", async () => {
    await enablePasswordPolicy({ minLength: 16 });
    const { user } = org.viewer;
    const result = await changeOwnPassword({ user, actor: actorFor(user), currentPassword: TEST_PASSWORD, newPassword: "fifteen chars!!" });
    expect(result).toEqual({ ok: false, reason: "weak_password", problem: expect.stringContaining("minimum length 16") });
    expect(await verifyPassword((await findSignInUser({ email: user.email }))?.passwordHash, TEST_PASSWORD)).toBe(true);
  });

  it("refuses a weak password from the CLI, for a new user and for a set password, in the user's organization", async () => {
    await enablePasswordPolicy({ minLength: 20 });
    const { orgName } = org;
    const created = await cli("user", "create", "--email", "new@example.test", "--password", "nineteen characters", "--role", "viewer", "--org", orgName);
    expect(created.code).not.toBe(0);
    expect(created.err).toContain("minimum length 20");
    const set = await cli("user", "set-password", "--email", org.viewer.user.email, "--password", "qwertyuiopasdfghjkl123", "--org", orgName);
    expect(set.code).not.toBe(0);
    expect(set.err).toContain("common passwords rejected");
    expect(await verifyPassword((await findSignInUser({ email: org.viewer.user.email }))?.passwordHash, TEST_PASSWORD)).toBe(true);
  });
});
