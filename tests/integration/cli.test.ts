import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import * as enroll from "@/app/api/agents/enroll/route";
import * as collection from "@/app/api/policies/route";
import { findSignInUser } from "@/db/queries/users";
import { runCommand } from "@/lib/cli/commands";
import { verifyPassword } from "@/lib/auth/password";
import { randomHex } from "@/lib/ids";
import { SERVER_CONDITIONS } from "../../scripts/node-flags";
import { call } from "../helpers";

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (line) => out.push(line), err: (line) => err.push(line), stdin: "" });
  return { code, out, err };
}

describe("admin CLI commands", () => {
  const org = `cli-${randomHex(4)}`;
  const email = `Admin-${randomHex(3)}@Example.test`;

  it("creates a user with an argon2id password in the named organization", async () => {
    const result = await cli("user", "create", "--email", email, "--password", "correct horse battery", "--role", "admin", "--org", org);
    expect(result.code).toBe(0);
    const user = await findSignInUser({ email });
    expect(user?.email).toBe(email.toLowerCase());
    expect(user?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user?.passwordHash, "correct horse battery")).toBe(true);
    const duplicate = await cli("user", "create", "--email", email, "--password", "correct horse battery", "--role", "admin", "--org", org);
    expect(duplicate.code).toBe(1);
    expect(duplicate.err.join("\n")).toContain("already exists");
  });

  it("sets a forgotten password from stdin, ending the user's sessions, and refuses a short one", async () => {
    const before = (await findSignInUser({ email }))!;
    const code = await runCommand(["user", "set-password", "--email", email, "--password", "-"], { out: () => {}, err: () => {}, stdin: "a brand new passphrase\n" });
    expect(code).toBe(0);
    const after = (await findSignInUser({ email }))!;
    expect(await verifyPassword(after.passwordHash, "a brand new passphrase")).toBe(true);
    expect(after.sessionVersion).toBe(before.sessionVersion + 1);
    const short = await cli("user", "set-password", "--email", email, "--password", "short");
    expect(short.code).toBe(2);
    expect(short.err.join("\n")).toContain("at least 12 characters");
    const unknown = await cli("user", "set-password", "--email", "nobody@example.test", "--password", "long enough password");
    expect(unknown.code).toBe(2);
    expect(unknown.err.join("\n")).toContain("No user with email");
  });

  it("creates a token (alone on the last line) that the API accepts, lists it without the secret, and revokes it", async () => {
    const created = await cli("token", "create", "--email", email, "--name", "laptop", "--expires-days", "30");
    expect(created.code).toBe(0);
    const token = created.out.at(-1)!;
    expect(token).toMatch(/^pal_[A-Za-z0-9_-]{43}$/);
    expect((await call(collection.GET, "GET", "/api/policies", { token })).status).toBe(200);

    const listed = await cli("token", "list", "--email", email);
    expect(listed.out).toHaveLength(1);
    const [id, name, , state] = listed.out[0]!.split("\t");
    expect(id).toMatch(/^tok_/);
    expect(name).toBe('"laptop"');
    expect(state).toBe("active");
    expect(listed.out.join("\n")).not.toContain(token);

    expect((await cli("token", "revoke", "--id", id!)).code).toBe(0);
    expect((await call(collection.GET, "GET", "/api/policies", { token })).status).toBe(401);
    expect((await cli("token", "list", "--email", email)).out[0]).toContain("\trevoked\t");
    expect((await cli("token", "revoke", "--id", id!)).code).toBe(2);
  });

  it("creates an enrollment key (alone on the last line) that enrols an agent", async () => {
    const created = await cli("enroll-key", "create", "--uses", "1", "--expires-hours", "2", "--org", org);
    expect(created.code).toBe(0);
    const key = created.out.at(-1)!;
    expect(key).toMatch(/^penr_[A-Za-z0-9_-]{43}$/);
    expect(created.out[0]).toContain("1 uses");
    const enrolled = await call(enroll.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey: key, hostname: "cli-host" } });
    expect(enrolled.status).toBe(201);
    expect((await cli("enroll-key", "create", "--org", "no such org")).err[0]).toBe('Error: No organization named "no such org"');
  });

  it("explains bad input instead of failing obscurely", async () => {
    const weak = await cli("user", "create", "--email", "x@example.test", "--password", "short", "--role", "admin");
    expect(weak.code).toBe(2);
    expect(weak.err[0]).toContain("at least 12 characters");
    const badRole = await cli("user", "create", "--email", "x@example.test", "--password", "long enough password", "--role", "root");
    expect(badRole.err[0]).toContain("--role");
    const unknownUser = await cli("token", "create", "--email", "ghost@example.test", "--name", "n");
    expect(unknownUser.err[0]).toBe("Error: No user with email ghost@example.test");
    expect((await cli("frobnicate")).code).toBe(2);
    expect((await cli("token", "create", "--bogus")).code).toBe(2);
  });
});

const exec = promisify(execFile);

describe("npm run cli", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "palisade-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs against the database DATABASE_URL names and prints the token alone on the last line", async () => {
    const env = { ...process.env, DATABASE_URL: `pglite:${dir}/db` };
    const tsx = path.resolve("node_modules/.bin/tsx");
    await exec(tsx, [...SERVER_CONDITIONS, "scripts/cli.ts", "user", "create", "--email", "ops@example.test", "--password", "correct horse battery", "--role", "viewer"], { env });
    const { stdout } = await exec(tsx, [...SERVER_CONDITIONS, "scripts/cli.ts", "token", "create", "--email", "ops@example.test", "--name", "ci"], { env });
    expect(stdout.trimEnd().split("\n").at(-1)).toMatch(/^pal_[A-Za-z0-9_-]{43}$/);
    const failure = await exec(tsx, [...SERVER_CONDITIONS, "scripts/cli.ts", "token", "revoke", "--id", "tok_missing"], { env }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining("No token with id tok_missing") });
  }, 60_000);
});
