import { and, asc, count, eq, isNull, ne, sql } from "drizzle-orm";
import { getDb, type Tx } from "@/db";
import { organizations, policies, users, type User } from "@/db/schema";
import { type Role } from "@/lib/users/roles";
import { MFA_POLICY_ID } from "@/lib/policies/defaults";
import { ApiError } from "@/lib/errors";
import { newUserId } from "@/lib/ids";
import { revokeTokensOf } from "./api-tokens";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";
import { createOrganization, findOrganizationByName } from "./organizations";

/** The user fields that are safe to show and to put in an audit snapshot. */
export type PublicUser = Pick<User, "id" | "orgId" | "email" | "role" | "disabledAt" | "totpEnabledAt" | "lastLoginAt" | "createdAt">;

export function toPublicUser(user: User): PublicUser {
  const { id, orgId, email, role, disabledAt, totpEnabledAt, lastLoginAt, createdAt } = user;
  return { id, orgId, email, role, disabledAt, totpEnabledAt, lastLoginAt, createdAt };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function countUsers(): Promise<number> {
  const [row] = await getDb().select({ value: count() }).from(users);
  return row?.value ?? 0;
}

export interface CreateUserInput {
  email: string;
  passwordHash: string;
  role: Role;
  /** An existing organization by id, or one by name that is created when missing. */
  organization: { id: string } | { name: string };
  /** Who creates the user; omitted when the system does (first-run setup, CLI), and the audit row names no one. */
  actor?: Omit<Actor, "orgId">;
}

async function insertUser(tx: Tx, input: CreateUserInput): Promise<User> {
  const email = normalizeEmail(input.email);
  let orgId: string;
  if ("id" in input.organization) {
    orgId = input.organization.id;
  } else {
    const existing = await findOrganizationByName(tx, { name: input.organization.name });
    orgId = existing?.id ?? (await createOrganization(tx, { name: input.organization.name })).id;
  }
  const [user] = await tx
    .insert(users)
    .values({ id: newUserId(), orgId, email, passwordHash: input.passwordHash, role: input.role })
    .onConflictDoNothing()
    .returning();
  if (!user) throw ApiError.conflict(`A user with email ${email} already exists in this organization`);
  const actor: Actor = { orgId, userId: null, email: null, ...input.actor };
  await recordAudit(actor, {
    action: "create_user",
    resource: `user:${user.id}`,
    details: `Created ${user.role} ${user.email}`,
    success: true,
    after: toPublicUser(user),
  }, tx);
  return user;
}

/**
 * Creates a user, and its organization when it does not exist yet, with an audit row, in one transaction. An
 * email is unique within its organization only, so the answer never tells whether it exists in another one. A
 * refusal by an admin is audited.
 */
export async function createUser(input: CreateUserInput): Promise<User> {
  try {
    return await getDb().transaction((tx) => insertUser(tx, input));
  } catch (error) {
    if (error instanceof ApiError && input.actor && "id" in input.organization) {
      await recordFailure({ orgId: input.organization.id, ...input.actor }, { action: "create_user", resource: `user:${normalizeEmail(input.email)}`, details: `Refused: ${error.message}` });
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
    const [existing] = await tx.select({ id: users.id }).from(users).limit(1);
    if (existing) return null;
    return insertUser(tx, { ...input, role: "admin" });
  });
}

/**
 * The account an email signs in to: the one in the named organization, or without a name the oldest enabled
 * account with that email (an email is unique within an organization, and may exist in several).
 */
export async function findSignInUser({ email, organization }: { email: string; organization?: string }): Promise<User | null> {
  const [row] = await getDb()
    .select({ user: users })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(and(sql`lower(${users.email}) = ${normalizeEmail(email)}`, organization === undefined ? undefined : eq(organizations.name, organization)))
    .orderBy(sql`${users.disabledAt} is null desc`, asc(users.createdAt))
    .limit(1);
  return row?.user ?? null;
}

/** Every account with this email, with its organization's name, oldest first (for the operator's CLI). */
export function findUsersByEmail({ email }: { email: string }): Promise<(User & { orgName: string })[]> {
  return getDb()
    .select({ user: users, orgName: organizations.name })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(sql`lower(${users.email}) = ${normalizeEmail(email)}`)
    .orderBy(asc(users.createdAt))
    .then((rows) => rows.map(({ user, orgName }) => ({ ...user, orgName })));
}

export async function findUserById({ id }: { id: string }): Promise<User | null> {
  const [user] = await getDb().select().from(users).where(eq(users.id, id));
  return user ?? null;
}

export interface SessionUser {
  user: User;
  /** Whether the organization's "MFA Required" policy is on (it is until the defaults exist, as they start enabled). */
  mfaRequired: boolean;
}

/**
 * What a session is checked against on every request: the user, if still enabled and the session version
 * still matches, and whether MFA is required in the user's organization. One round trip.
 */
export async function findSessionUser({ id, sessionVersion }: { id: string; sessionVersion: number }): Promise<SessionUser | null> {
  // Joins rather than correlated subqueries in the select list: drizzle leaves select-list columns of a
  // single-table query unqualified, which would let a subquery match another organization's policy.
  const [row] = await getDb()
    .select({ user: users, mfaPolicyEnabled: policies.enabled, defaultsSeededAt: organizations.defaultPoliciesSeededAt })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .leftJoin(policies, and(eq(policies.orgId, users.orgId), eq(policies.id, MFA_POLICY_ID)))
    .where(and(eq(users.id, id), eq(users.sessionVersion, sessionVersion), isNull(users.disabledAt)));
  if (!row) return null;
  return { user: row.user, mfaRequired: row.mfaPolicyEnabled ?? row.defaultsSeededAt === null };
}

export function listUsers({ orgId }: { orgId: string }): Promise<User[]> {
  return getDb().select().from(users).where(eq(users.orgId, orgId)).orderBy(asc(users.createdAt));
}

/** Records a successful sign-in: the last-login time, and a `login` audit row. */
export async function markSignedIn({ actor, userId, details }: { actor: Actor; userId: string; details: string }): Promise<void> {
  await getDb().transaction(async (tx) => {
    await tx.update(users).set({ lastLoginAt: sql`now()` }).where(eq(users.id, userId));
    await recordAudit(actor, { action: "login", resource: `user:${userId}`, details, success: true }, tx);
  });
}

// ---------------------------------------------------------------------------
// User management by an organization's admins (console, Settings → Users)
// ---------------------------------------------------------------------------

const userResource = (id: string) => `user:${id}`;

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
  change: (tx: Tx, before: User) => Promise<UserChangeOutcome>,
): Promise<User> {
  const outcome = await getDb().transaction(async (tx): Promise<UserChangeOutcome> => {
    await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, actor.orgId)).for("update");
    const [before] = await tx
      .select()
      .from(users)
      .where(and(eq(users.id, userId), eq(users.orgId, actor.orgId)));
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
async function adminRemovalRefusal(tx: Tx, actor: Actor, target: User, removal: "demote" | "disable"): Promise<ApiError | null> {
  if (target.id === actor.userId) {
    return ApiError.conflict(removal === "demote" ? "You cannot remove your own admin role. Ask another admin." : "You cannot disable your own account. Ask another admin.");
  }
  if (!isActiveAdmin(target)) return null;
  const [others] = await tx
    .select({ value: count() })
    .from(users)
    .where(and(eq(users.orgId, actor.orgId), eq(users.role, "admin"), isNull(users.disabledAt), ne(users.id, target.id)));
  if ((others?.value ?? 0) > 0) return null;
  return ApiError.conflict(`${target.email} is the organization's last active admin. Make another user an admin first.`);
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
    const [after] = await tx
      .update(users)
      .set({ role })
      .where(and(eq(users.id, before.id), eq(users.orgId, actor.orgId)))
      .returning();
    if (!after) throw new Error("user row vanished under the organization lock");
    await recordAudit(actor, {
      action: "update_user_role",
      resource: userResource(after.id),
      details: `Changed the role of ${after.email} from ${before.role} to ${after.role}`,
      success: true,
      before: toPublicUser(before),
      after: toPublicUser(after),
    }, tx);
    return { user: after };
  });
}

/**
 * Disables or re-enables a user of the actor's organization, audited with before/after snapshots.
 * Disabling bumps the session version in the same transaction, so every session of the user ends at once
 * (and stays ended after re-enabling); the user's API tokens are refused while the user is disabled.
 * Refused for the actor's own account and for the last active admin. Setting the current state changes nothing.
 */
export function setUserDisabled({ actor, userId, disabled }: { actor: Actor; userId: string; disabled: boolean }): Promise<User> {
  const action = disabled ? "disable_user" : "enable_user";
  return changeOrgUser({ actor, userId, action }, async (tx, before) => {
    if ((before.disabledAt !== null) === disabled) return { user: before };
    const refusal = disabled ? await adminRemovalRefusal(tx, actor, before, "disable") : null;
    if (refusal) return { refused: refusal };
    const [after] = await tx
      .update(users)
      .set(disabled ? { disabledAt: sql`now()`, sessionVersion: sql`${users.sessionVersion} + 1` } : { disabledAt: null })
      .where(and(eq(users.id, before.id), eq(users.orgId, actor.orgId)))
      .returning();
    if (!after) throw new Error("user row vanished under the organization lock");
    await recordAudit(actor, {
      action,
      resource: userResource(after.id),
      details: `${disabled ? "Disabled" : "Enabled"} ${after.email}`,
      success: true,
      before: toPublicUser(before),
      after: toPublicUser(after),
    }, tx);
    return { user: after };
  });
}

/**
 * Sets a user's password, ends every session of theirs and revokes their API tokens (a session or a token
 * taken over with the old password must not outlive it), audited as `change_password` with `details` and the
 * number of tokens revoked, in one transaction. Returns that number.
 */
export async function setUserPassword({ actor, userId, passwordHash, details }: { actor: Actor; userId: string; passwordHash: string; details: string }): Promise<number> {
  return getDb().transaction(async (tx) => {
    await tx
      .update(users)
      .set({ passwordHash, sessionVersion: sql`${users.sessionVersion} + 1` })
      .where(eq(users.id, userId));
    const revoked = await revokeTokensOf(tx, userId);
    await recordAudit(actor, { action: "change_password", resource: userResource(userId), details: `${details}; ${revoked} API token(s) revoked`, success: true }, tx);
    return revoked;
  });
}

/**
 * Ends every session of a user: a session cookie is a signed token that stays valid until it expires, so
 * deleting it from one browser is not enough; bumping the version makes every copy of it stale.
 */
export async function endAllSessions({ userId }: { userId: string }): Promise<void> {
  await getDb()
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(eq(users.id, userId));
}
