import "server-only";
import { sql } from "drizzle-orm";
import { revokeTokensOf } from "@/db/queries/api-tokens";
import { findOrganizationByName, insertOrganization, lockOrganization } from "@/db/queries/organizations";
import { countOtherActiveAdmins, countUsers, getOrgUser, insertUser, updateOrgUser, type UserChanges } from "@/db/queries/users";
import { getDb, type Executor } from "@/db";
import type { User } from "@/db/schema";
import { cancelRequestsOfDisabledUser } from "@/lib/change-requests/service";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";
import { ApiError } from "@/lib/errors";
import { newOrganizationId, newUserId } from "@/lib/ids";
import { seedDefaultPolicies } from "@/lib/policies/service";
import { normalizeEmail } from "./email";
import type { Role } from "./roles";
import { toPublicUser } from "./serialize";

/**
 * Users and their organizations: creation (the first admin, by an admin, by the operator's CLI), roles,
 * disabling, passwords. Each change commits with its audit row; a refusal changes nothing and is audited.
 */

const userResource = (id: string) => `user:${id}`;

export interface CreateUserInput {
  email: string;
  passwordHash: string;
  role: Role;
  /** An existing organization by id, or one by name that is created when missing. */
  organization: { id: string } | { name: string };
  /** Who creates the user; omitted when the system does (first-run setup, CLI), and the audit row names no one. */
  actor?: Omit<Actor, "orgId">;
}

/** The organization of that name, created (with its default policies) when it does not exist yet. */
async function organizationNamed(name: string, tx: Executor): Promise<string> {
  const created = await insertOrganization({ id: newOrganizationId(), name }, tx);
  if (created) {
    await seedDefaultPolicies({ orgId: created.id, userId: null, email: null }, tx);
    return created.id;
  }
  const existing = await findOrganizationByName({ name }, tx);
  if (!existing) throw new Error(`organization ${name} was neither created nor found`);
  return existing.id;
}

async function insertUserWithAudit(input: CreateUserInput, tx: Executor): Promise<User> {
  const email = normalizeEmail(input.email);
  const orgId = "id" in input.organization ? input.organization.id : await organizationNamed(input.organization.name, tx);
  const user = await insertUser({ id: newUserId(), orgId, email, passwordHash: input.passwordHash, role: input.role }, tx);
  if (!user) throw ApiError.conflict(`A user with email ${email} already exists in this organization`);
  const actor: Actor = { orgId, userId: null, email: null, ...input.actor };
  await recordAudit(actor, { action: "create_user", resource: userResource(user.id), details: `Created ${user.role} ${user.email}`, success: true, after: toPublicUser(user) }, tx);
  return user;
}

/**
 * Creates a user, and its organization when it does not exist yet, with an audit row, in one transaction. An
 * email is unique within its organization only, so the answer never tells whether it exists in another one. A
 * refusal by an admin is audited.
 */
export async function createUser(input: CreateUserInput): Promise<User> {
  try {
    return await getDb().transaction((tx) => insertUserWithAudit(input, tx));
  } catch (error) {
    if (error instanceof ApiError && input.actor && "id" in input.organization) {
      await recordFailure({ orgId: input.organization.id, ...input.actor }, { action: "create_user", resource: userResource(normalizeEmail(input.email)), details: `Refused: ${error.message}` });
    }
    throw error;
  }
}

// Any constant: it only serializes concurrent first-run setups.
const FIRST_USER_LOCK = 7_221_094_552;

/**
 * Creates the first admin and their organization, only while no user exists. Concurrent callers take turns
 * on an advisory lock, so exactly one wins; the others get null.
 */
export function createFirstAdmin(input: Omit<CreateUserInput, "role" | "actor">): Promise<User | null> {
  return getDb().transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${FIRST_USER_LOCK})`);
    if ((await countUsers(tx)) > 0) return null;
    return insertUserWithAudit({ ...input, role: "admin" }, tx);
  });
}

type UserChangeAction = "update_user_role" | "disable_user" | "enable_user";

/** The outcome of a user change decided inside its transaction: the user, or why it was refused. */
type UserChangeOutcome = { user: User } | { refused: ApiError };

/**
 * Runs a change to a user of the actor's organization. The organization row is locked first, so changes
 * that could remove its last active admin happen one at a time and each sees the others' result. A refusal
 * changes nothing and is audited with success false, like every refused change.
 */
async function changeOrgUser(
  { actor, userId, action }: { actor: Actor; userId: string; action: UserChangeAction },
  change: (tx: Executor, before: User) => Promise<UserChangeOutcome>,
): Promise<User> {
  const outcome = await getDb().transaction(async (tx): Promise<UserChangeOutcome> => {
    await lockOrganization({ orgId: actor.orgId }, tx);
    const before = await getOrgUser({ orgId: actor.orgId, id: userId }, tx);
    // Another organization's user answers exactly like one that does not exist.
    if (!before) return { refused: ApiError.notFound("User not found") };
    return change(tx, before);
  });
  if ("user" in outcome) return outcome.user;
  await recordFailure(actor, { action, resource: userResource(userId), details: outcome.refused.message });
  throw outcome.refused;
}

const isActiveAdmin = (user: Pick<User, "role" | "disabledAt">) => user.role === "admin" && user.disabledAt === null;

/** Why taking admin rights away from `target` (demoting or disabling) is refused, or null when it is allowed. */
async function adminRemovalRefusal(tx: Executor, actor: Actor, target: User, removal: "demote" | "disable"): Promise<ApiError | null> {
  if (target.id === actor.userId) {
    return ApiError.conflict(removal === "demote" ? "You cannot remove your own admin role. Ask another admin." : "You cannot disable your own account. Ask another admin.");
  }
  if (!isActiveAdmin(target)) return null;
  if ((await countOtherActiveAdmins({ orgId: actor.orgId, exceptId: target.id }, tx)) > 0) return null;
  return ApiError.conflict(`${target.email} is the organization's last active admin. Make another user an admin first.`);
}

/** Applies a change decided under the organization lock, with its audit row (before/after). */
async function applyUserChange(tx: Executor, actor: Actor, before: User, action: UserChangeAction, changes: UserChanges, details: (after: User) => string): Promise<UserChangeOutcome> {
  const after = await updateOrgUser({ orgId: actor.orgId, id: before.id, changes }, tx);
  if (!after) throw new Error("user row vanished under the organization lock");
  await recordAudit(actor, { action, resource: userResource(after.id), details: details(after), success: true, before: toPublicUser(before), after: toPublicUser(after) }, tx);
  return { user: after };
}

/**
 * Changes the role of a user of the actor's organization, audited with before/after snapshots. Refused for
 * the actor's own admin role and for the last active admin. Setting the current role changes nothing.
 * The new role applies at once: sessions and tokens read the user's role on every request.
 */
export function updateUserRole({ actor, userId, role }: { actor: Actor; userId: string; role: Role }): Promise<User> {
  return changeOrgUser({ actor, userId, action: "update_user_role" }, async (tx, before) => {
    if (before.role === role) return { user: before };
    const refusal = role === "admin" ? null : await adminRemovalRefusal(tx, actor, before, "demote");
    if (refusal) return { refused: refusal };
    return applyUserChange(tx, actor, before, "update_user_role", { role }, (after) => `Changed the role of ${after.email} from ${before.role} to ${after.role}`);
  });
}

/**
 * Disables or re-enables a user of the actor's organization, audited with before/after snapshots.
 * Disabling ends every session of the user in the same transaction (they stay ended after re-enabling); the
 * user's API tokens are refused while the user is disabled. Refused for the actor's own account and for the
 * last active admin. Setting the current state changes nothing.
 */
export function setUserDisabled({ actor, userId, disabled }: { actor: Actor; userId: string; disabled: boolean }): Promise<User> {
  const action = disabled ? "disable_user" : "enable_user";
  return changeOrgUser({ actor, userId, action }, async (tx, before) => {
    if ((before.disabledAt !== null) === disabled) return { user: before };
    const refusal = disabled ? await adminRemovalRefusal(tx, actor, before, "disable") : null;
    if (refusal) return { refused: refusal };
    const changes: UserChanges = disabled ? { disabledAt: new Date(), endSessions: true } : { disabledAt: null };
    // A change request needs an admin behind it: a disabled user's pending ones are cancelled with the change.
    if (disabled) await cancelRequestsOfDisabledUser(actor, userId, tx);
    return applyUserChange(tx, actor, before, action, changes, (after) => `${disabled ? "Disabled" : "Enabled"} ${after.email}`);
  });
}

/**
 * Sets a user's password, ends every session of theirs and revokes their API tokens (a session or a token
 * taken over with the old password must not outlive it), audited as `change_password` with `details` and the
 * number of tokens revoked, in one transaction. Returns that number.
 */
export function setUserPassword({ actor, user, passwordHash, details }: { actor: Actor; user: User; passwordHash: string; details: string }): Promise<number> {
  return getDb().transaction(async (tx) => {
    await updateOrgUser({ orgId: user.orgId, id: user.id, changes: { passwordHash, endSessions: true } }, tx);
    const revoked = await revokeTokensOf({ userId: user.id }, tx);
    await recordAudit(actor, { action: "change_password", resource: userResource(user.id), details: `${details}; ${revoked} API token(s) revoked`, success: true }, tx);
    return revoked;
  });
}

/** Records a successful sign-in: the last-login time, and a `login` audit row. */
export async function markSignedIn({ actor, user, details }: { actor: Actor; user: User; details: string }): Promise<void> {
  await getDb().transaction(async (tx) => {
    await updateOrgUser({ orgId: user.orgId, id: user.id, changes: { lastLoginAt: new Date() } }, tx);
    await recordAudit(actor, { action: "login", resource: userResource(user.id), details, success: true }, tx);
  });
}
