/**
 * The admin CLI's commands. They run in the CLI process, or, when a server holds the embedded database,
 * inside that server (see lib/server/control-socket.ts): PGlite must never be open in two processes.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { findApiToken, listApiTokens } from "@/db/queries/api-tokens";
import { createApiToken, revokeApiToken } from "@/lib/auth/api-tokens";
import { createEnrollmentKey } from "@/lib/agents/enrollment-keys";
import type { Actor } from "@/lib/audit/log";
import { signAuditCheckpoint } from "@/lib/audit/checkpoints";
import { describeVerifyResult, type VerifiableCheckpoint, type VerifiableKey } from "@/lib/audit/verify";
import { parseCheckpointsFile, parseKeysFile, VerifyFileError } from "@/lib/audit/verify-files";
import { verifyOrganizationChain } from "@/lib/audit/verify-service";
import { listOrganizations } from "@/db/queries/organizations";
import { findUsersByEmail } from "@/db/queries/users";
import { createUser, setUserPassword } from "@/lib/users/service";
import { ROLES } from "@/lib/users/roles";
import { DEFAULT_ENROLLMENT_KEY_HOURS, MAX_ENROLLMENT_KEY_HOURS } from "@/lib/agents/schemas";
import { hashNewPassword } from "@/lib/auth/password";
import { policyId } from "@/lib/policies/schemas";
import { togglePolicy } from "@/lib/policies/service";
import { env } from "@/lib/env";
import { ApiError } from "@/lib/errors";
import { findUnsafeInput, plainName } from "@/lib/validation";

export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Everything piped to the CLI's standard input ("" when it is a terminal). */
  stdin: string;
  /**
   * The files named by options that read one (--from-checkpoint, --keys), read by the CLI process: a command run
   * inside the server (the embedded database) cannot see the operator's working directory.
   */
  files?: Record<string, string>;
}

/** The options whose value is a file the CLI process reads and sends along (see CommandIo.files). */
export const FILE_OPTIONS = ["--from-checkpoint", "--keys"] as const;

const USAGE = `Usage: npm run cli -- <command> [options]

  user create --email E --password P --role admin|viewer [--org NAME]
      Creates a user. Pass --password - to read the password from stdin.
  user set-password --email E --password P [--org NAME]
      Sets a user's password (a forgotten one), ends every session of theirs and revokes their API tokens.
      --password - reads stdin.
  token create --email E --name N [--expires-days D] [--org NAME]
      Creates an API token for the user; the token alone is on the last line.
  token list --email E [--org NAME]
      Lists the user's tokens, one a line, id first. Secrets are never shown.

  An email may have accounts in several organizations: --org picks one.
  token revoke --id ID
      Revokes a token.
  enroll-key create [--uses N] [--expires-hours H] [--org NAME]
      Creates an agent enrollment key (expiring after 24 hours unless --expires-hours says otherwise, at most
      a year); the key alone is on the last line.
      --org is needed only when there are several organizations.
  policy disable ID [--org NAME]
  policy enable ID [--org NAME]
      Turns a security policy off or on, audited. The way back in when an IP allowlist or another access policy
      shuts every admin out: the CLI runs on the server, where no access policy applies.
      --org is needed only when there are several organizations.
  audit checkpoint [--org NAME]
      Signs a checkpoint of the audit chain's head now (every organization's, without --org).
  audit verify [--org NAME] [--from-checkpoint FILE]... [--keys FILE]
      Recomputes the audit chain and checks every checkpoint (every organization's, without --org); exits 0 when
      verified, 1 at the first problem, which it names with its position. --from-checkpoint adds checkpoints kept
      outside the database (a checkpoint, an array of them, or a JSON export); --keys trusts only the public keys
      in that file (GET /api/audit-logs/keys saved earlier) instead of those the database lists.`;

class UsageError extends Error {}

/** Audit rows written by the CLI name no user: the operator acted through the database directly. */
const cliActor = (orgId: string): Actor => ({ orgId, userId: null, email: null, userAgent: "palisade-cli" });

function parse<T extends z.ZodType>(schema: T, values: unknown): z.output<T> {
  const unsafe = findUnsafeInput(values);
  if (unsafe) throw new UsageError(`--${unsafe.path.join(".")}: ${unsafe.message}`);
  const result = schema.safeParse(values);
  if (!result.success) {
    throw new UsageError(result.error.issues.map((issue) => `--${issue.path.join(".")}: ${issue.message}`).join("\n"));
  }
  return result.data;
}

/** The user with this email: in the organization named by --org, or the only one with that email. */
async function accountByEmail(email: string, orgName: string | undefined) {
  const matches = (await findUsersByEmail({ email })).filter((user) => orgName === undefined || user.orgName === orgName);
  const [user] = matches;
  if (!user) throw new UsageError(`No user with email ${email}${orgName === undefined ? "" : ` in organization ${JSON.stringify(orgName)}`}`);
  if (matches.length > 1) {
    throw new UsageError(`${email} has accounts in ${matches.length} organizations (${matches.map((match) => JSON.stringify(match.orgName)).join(", ")}); pass --org NAME`);
  }
  return user;
}

/**
 * The argon2id hash of --password, or of stdin when it is "-", for a user of the organization (null: a new one).
 * A password the organization's password rules refuse is a usage error naming the rule.
 */
async function passwordHashFrom(option: string, io: CommandIo, { orgId, email }: { orgId: string | null; email: string }): Promise<string> {
  const password = option === "-" ? io.stdin.replace(/\r?\n$/, "") : option;
  const checked = await hashNewPassword(password, { orgId, userInputs: [email] });
  if (!checked.ok) throw new UsageError(`--password: ${checked.problem}`);
  return checked.hash;
}

/** An existing organization: by --org, or the only one there is. */
async function existingOrganization(orgName: string | undefined): Promise<{ id: string; name: string }> {
  const organizations = await listOrganizations();
  const found = orgName ? organizations.find((organization) => organization.name === orgName) : organizations.length === 1 ? organizations[0] : undefined;
  if (found) return found;
  if (orgName) throw new UsageError(`No organization named ${JSON.stringify(orgName)}`);
  throw new UsageError(organizations.length === 0 ? "There is no organization yet: create a user first" : `There are ${organizations.length} organizations; pass --org NAME`);
}

/** The organization a new user joins: --org (by name, created if missing), else the only one, else a new default one. */
async function organizationFor(orgName: string | undefined): Promise<{ name: string } | { id: string }> {
  const organizations = await listOrganizations();
  if (orgName) {
    const existing = organizations.find((organization) => organization.name === orgName);
    return existing ? { id: existing.id } : { name: orgName };
  }
  const [only] = organizations;
  if (organizations.length === 1 && only) return { id: only.id };
  if (organizations.length === 0) return { name: env().ADMIN_ORG };
  throw new UsageError(`There are ${organizations.length} organizations; pass --org NAME`);
}

async function setPolicyState(args: string[], io: CommandIo, enabled: boolean): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { org: { type: "string" } } });
  const input = parse(z.object({ id: policyId, org: z.string().trim().min(1).optional() }), { id: positionals[0], org: values.org });
  const organization = await existingOrganization(input.org);
  const policy = await togglePolicy({ actor: cliActor(organization.id), id: input.id, enabled });
  io.out(`${policy.enabled ? "Enabled" : "Disabled"} policy ${policy.id} "${policy.name}" in organization ${JSON.stringify(organization.name)}`);
}

/** A file an option named: as the CLI process read it, or from disk when the command runs in that process. */
function optionFile(io: CommandIo, path: string): string {
  if (io.files) {
    const sent = io.files[path];
    if (sent === undefined) throw new UsageError(`Cannot read ${path}`);
    return sent;
  }
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new UsageError(`Cannot read ${path}`);
  }
}

/** The organizations an audit command covers: --org, or every one. */
async function auditedOrganizations(orgName: string | undefined): Promise<{ id: string; name: string }[]> {
  return orgName ? [await existingOrganization(orgName)] : listOrganizations();
}

const commands: Record<string, (args: string[], io: CommandIo) => Promise<void | number>> = {
  async "audit checkpoint"(args, io) {
    const { values } = parseArgs({ args, options: { org: { type: "string" } } });
    const input = parse(z.object({ org: z.string().trim().min(1).optional() }), values);
    for (const organization of await auditedOrganizations(input.org)) {
      try {
        const checkpoint = await signAuditCheckpoint({ actor: cliActor(organization.id) });
        io.out(`Signed checkpoint of ${JSON.stringify(organization.name)} at position ${checkpoint!.position}: hash ${checkpoint!.hash}, key ${checkpoint!.keyId}, ${checkpoint!.signedAt.toISOString()}`);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        io.out(`Nothing to sign for ${JSON.stringify(organization.name)}: ${error.message}`);
      }
    }
  },

  async "audit verify"(args, io) {
    const { values } = parseArgs({
      args,
      options: { org: { type: "string" }, "from-checkpoint": { type: "string", multiple: true }, keys: { type: "string" } },
    });
    const input = parse(z.object({ org: z.string().trim().min(1).optional() }), { org: values.org });
    let extra: VerifiableCheckpoint[];
    let pinned: VerifiableKey[] | undefined;
    try {
      extra = (values["from-checkpoint"] ?? []).flatMap((path) => parseCheckpointsFile(optionFile(io, path)));
      pinned = values.keys ? parseKeysFile(optionFile(io, values.keys)) : undefined;
    } catch (error) {
      if (error instanceof VerifyFileError) throw new UsageError(error.message);
      throw error;
    }
    const organizations = await auditedOrganizations(input.org);
    let broken = 0;
    for (const organization of organizations) {
      // Without --org, a checkpoint kept elsewhere speaks for its own organization only.
      const extraHere = input.org ? extra : extra.filter((checkpoint) => checkpoint.orgId === organization.id);
      const result = await verifyOrganizationChain({ orgId: organization.id, extraCheckpoints: extraHere, pinnedKeys: pinned });
      if (!result.ok) broken += 1;
      (result.ok ? io.out : io.err)(`${JSON.stringify(organization.name)} (${organization.id}): ${describeVerifyResult(result)}`);
    }
    const orphans = input.org ? [] : extra.filter((checkpoint) => !organizations.some((organization) => organization.id === checkpoint.orgId));
    for (const checkpoint of orphans) {
      broken += 1;
      io.err(`A checkpoint kept elsewhere names organization ${checkpoint.orgId} (position ${checkpoint.position}), which no longer exists: deleted.`);
    }
    return broken === 0 ? 0 : 1;
  },


  async "enroll-key create"(args, io) {
    const { values } = parseArgs({ args, options: { uses: { type: "string" }, "expires-hours": { type: "string" }, org: { type: "string" } } });
    const input = parse(
      z.object({
        uses: z.coerce.number().int().min(1).max(1_000_000).optional(),
        "expires-hours": z.coerce.number().positive().max(MAX_ENROLLMENT_KEY_HOURS).default(DEFAULT_ENROLLMENT_KEY_HOURS),
        org: z.string().trim().min(1).optional(),
      }),
      values,
    );
    const organization = await existingOrganization(input.org);
    const { key, secret } = await createEnrollmentKey({ actor: cliActor(organization.id), maxUses: input.uses ?? null, expiresHours: input["expires-hours"] });
    io.out(`Created enrollment key ${key.id} for ${organization.name}: ${key.maxUses ?? "unlimited"} uses, expires ${key.expiresAt!.toISOString()}.`);
    io.out("Store it now: it is shown only once.");
    io.out(secret);
  },

  async "user create"(args, io) {
    const { values } = parseArgs({
      args,
      options: { email: { type: "string" }, password: { type: "string" }, role: { type: "string" }, org: { type: "string" } },
    });
    const input = parse(
      z.object({
        email: z.email(),
        password: z.string(),
        role: z.enum(ROLES),
        org: plainName({ max: 100 }).optional(),
      }),
      values,
    );
    const organization = await organizationFor(input.org);
    const user = await createUser({
      email: input.email,
      passwordHash: await passwordHashFrom(input.password, io, { orgId: "id" in organization ? organization.id : null, email: input.email }),
      role: input.role,
      organization,
    });
    io.out(`Created ${user.role} ${user.email} (${user.id}) in organization ${user.orgId}`);
  },

  async "user set-password"(args, io) {
    const { values } = parseArgs({ args, options: { email: { type: "string" }, password: { type: "string" }, org: { type: "string" } } });
    const input = parse(z.object({ email: z.email(), password: z.string(), org: z.string().trim().min(1).optional() }), values);
    const user = await accountByEmail(input.email, input.org);
    const revoked = await setUserPassword({
      actor: cliActor(user.orgId),
      user,
      passwordHash: await passwordHashFrom(input.password, io, { orgId: user.orgId, email: user.email }),
      details: `Password of ${user.email} set from the CLI; every session ended`,
    });
    io.out(`Set a new password for ${user.email}; every session of theirs has ended and ${revoked} API token(s) were revoked.`);
  },

  async "token create"(args, io) {
    const { values } = parseArgs({
      args,
      options: { email: { type: "string" }, name: { type: "string" }, "expires-days": { type: "string" }, org: { type: "string" } },
    });
    const input = parse(
      z.object({
        email: z.email(),
        name: plainName({ max: 100 }),
        "expires-days": z.coerce.number().int().min(1).max(3650).optional(),
        org: z.string().trim().min(1).optional(),
      }),
      values,
    );
    const user = await accountByEmail(input.email, input.org);
    const days = input["expires-days"];
    const { token, secret } = await createApiToken({ actor: cliActor(user.orgId), user, name: input.name, expiresAt: days ? new Date(Date.now() + days * 86_400_000) : null });
    io.out(`Created token ${token.id} "${token.name}" for ${user.email}${token.expiresAt ? `, expires ${token.expiresAt.toISOString()}` : ""}.`);
    io.out("Store it now: it is shown only once.");
    io.out(secret);
  },

  async "token list"(args, io) {
    const { values } = parseArgs({ args, options: { email: { type: "string" }, org: { type: "string" } } });
    const input = parse(z.object({ email: z.email(), org: z.string().trim().min(1).optional() }), values);
    const user = await accountByEmail(input.email, input.org);
    for (const token of await listApiTokens({ orgId: user.orgId, userId: user.id })) {
      const state = token.revokedAt ? "revoked" : token.expiresAt && token.expiresAt <= new Date() ? "expired" : "active";
      const fields = [
        token.id,
        JSON.stringify(token.name),
        `${token.tokenPrefix}…`,
        state,
        `created=${token.createdAt.toISOString()}`,
        `last_used=${token.lastUsedAt?.toISOString() ?? "never"}`,
        `expires=${token.expiresAt?.toISOString() ?? "never"}`,
      ];
      io.out(fields.join("\t"));
    }
  },

  "policy disable": (args, io) => setPolicyState(args, io, false),
  "policy enable": (args, io) => setPolicyState(args, io, true),

  async "token revoke"(args, io) {
    const { values } = parseArgs({ args, options: { id: { type: "string" } } });
    const input = parse(z.object({ id: z.string().min(1) }), values);
    const token = await findApiToken({ id: input.id });
    if (!token) throw new UsageError(`No token with id ${input.id}`);
    if (token.revokedAt) throw new UsageError(`Token ${input.id} is already revoked`);
    await revokeApiToken({ id: token.id, actor: cliActor(token.orgId) });
    io.out(`Revoked token ${token.id} "${token.name}"`);
  },
};

/** Runs one CLI invocation and returns its exit code: 0 success, 1 failure, 2 usage error. */
export async function runCommand(argv: string[], io: CommandIo): Promise<number> {
  const [group, action, ...rest] = argv;
  if (!group || group === "help" || group === "--help") {
    io.out(USAGE);
    return group ? 0 : 2;
  }
  const command = commands[`${group} ${action ?? ""}`];
  if (!command) {
    io.err(`Unknown command: ${[group, action].filter(Boolean).join(" ")}\n\n${USAGE}`);
    return 2;
  }
  try {
    return (await command(rest, io)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`Error: ${error.message}`);
      return 2;
    }
    if (error instanceof ApiError) {
      io.err(`Error: ${error.message}`);
      return 1;
    }
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      io.err(`Error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}
