import { and, asc, count, eq, isNull, lt, ne, sql } from "drizzle-orm";
import { getDb, prepared, type Executor } from "@/db";
import { consoleSessions, organizations, passkeys, policies, users, type User } from "@/db/schema";
import { MFA_POLICY_ID } from "@/lib/policies/defaults";
import type { ActiveSettings } from "@/lib/policies/kinds";
import { requestPoliciesOf } from "./policies";
import { normalizeEmail } from "@/lib/users/email";

export async function countUsers(executor: Executor = getDb()): Promise<number> {
  const [row] = await executor.select({ value: count() }).from(users);
  return row?.value ?? 0;
}

/** Inserts a user; null when the organization already has a user with that email. */
export async function insertUser(values: typeof users.$inferInsert, executor: Executor = getDb()): Promise<User | null> {
  const [user] = await executor.insert(users).values(values).onConflictDoNothing().returning();
  return user ?? null;
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
export async function findUsersByEmail({ email }: { email: string }): Promise<(User & { orgName: string })[]> {
  const rows = await getDb()
    .select({ user: users, orgName: organizations.name })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.orgId))
    .where(sql`lower(${users.email}) = ${normalizeEmail(email)}`)
    .orderBy(asc(users.createdAt));
  return rows.map(({ user, orgName }) => ({ ...user, orgName }));
}

export async function findUserById({ id }: { id: string }): Promise<User | null> {
  const [user] = await getDb().select().from(users).where(eq(users.id, id));
  return user ?? null;
}

/** A user of the organization; another organization's user is null. */
export async function getOrgUser({ orgId, id }: { orgId: string; id: string }, executor: Executor = getDb()): Promise<User | null> {
  const [user] = await executor
    .select()
    .from(users)
    .where(and(eq(users.id, id), eq(users.orgId, orgId)));
  return user ?? null;
}

export interface SessionUserRow {
  user: User;
  /** Whether the organization's "MFA Required" policy exists and is on. */
  mfaRequired: boolean;
  /** Whether the user has a passkey. */
  hasPasskey: boolean;
  /** The organization's enabled policies each request is checked against. */
  requestPolicies: ActiveSettings;
  /** When this session was last used, to the minute; null before its first use is recorded. */
  lastSeenAt: Date | null;
}

/**
 * The user behind a live session: enabled, with the session version the session carries. Every console request
 * runs it, so it also reads what the request is checked against: the MFA policy, the request policies, and
 * when the session was last used.
 */
export async function findSessionUser({ id, sessionVersion, sessionId = "" }: { id: string; sessionVersion: number; sessionId?: string }): Promise<SessionUserRow | null> {
  const query = prepared("find_session_user", (db, name) =>
    db
      .select({
        user: users,
        mfaPolicyEnabled: policies.enabled,
        hasPasskey: sql<boolean>`exists (select 1 from ${passkeys} where ${passkeys.userId} = ${users.id})`,
        requestPolicies: requestPoliciesOf(users.orgId),
        lastSeenAt: consoleSessions.lastSeenAt,
      })
      .from(users)
      .leftJoin(policies, and(eq(policies.orgId, users.orgId), eq(policies.id, MFA_POLICY_ID)))
      .leftJoin(consoleSessions, and(eq(consoleSessions.userId, users.id), eq(consoleSessions.sessionId, sql.placeholder("sessionId"))))
      .where(and(eq(users.id, sql.placeholder("id")), eq(users.sessionVersion, sql.placeholder("sessionVersion")), isNull(users.disabledAt)))
      .prepare(name),
  );
  const [row] = await query.execute({ id, sessionVersion, sessionId });
  if (!row) return null;
  return { user: row.user, mfaRequired: row.mfaPolicyEnabled ?? false, hasPasskey: row.hasPasskey, requestPolicies: row.requestPolicies, lastSeenAt: row.lastSeenAt };
}

/** Records that a session was used now. */
export async function touchConsoleSession({ userId, sessionId }: { userId: string; sessionId: string }): Promise<void> {
  await getDb()
    .insert(consoleSessions)
    .values({ userId, sessionId })
    .onConflictDoUpdate({ target: [consoleSessions.userId, consoleSessions.sessionId], set: { lastSeenAt: sql`now()` } });
}

/** Forgets sessions unused for longer than any session can live. */
export async function pruneConsoleSessions({ olderThanMs }: { olderThanMs: number }): Promise<void> {
  await getDb()
    .delete(consoleSessions)
    .where(lt(consoleSessions.lastSeenAt, sql`now() - make_interval(secs => ${olderThanMs / 1000})`));
}

export function listUsers({ orgId }: { orgId: string }): Promise<User[]> {
  return getDb().select().from(users).where(eq(users.orgId, orgId)).orderBy(asc(users.createdAt));
}

export type UserChanges = Partial<Pick<User, "role" | "disabledAt" | "passwordHash" | "lastLoginAt">> & { endSessions?: boolean };

/**
 * Applies changes to one user of the organization; `endSessions` bumps the session version, which ends every
 * session of theirs. Null when the organization has no such user.
 */
export async function updateOrgUser({ orgId, id, changes }: { orgId: string; id: string; changes: UserChanges }, executor: Executor = getDb()): Promise<User | null> {
  const { endSessions, ...columns } = changes;
  const [user] = await executor
    .update(users)
    .set({ ...columns, ...(endSessions ? { sessionVersion: sql`${users.sessionVersion} + 1` } : {}) })
    .where(and(eq(users.id, id), eq(users.orgId, orgId)))
    .returning();
  return user ?? null;
}

/** Active admins of the organization other than `exceptId`. */
export async function countOtherActiveAdmins({ orgId, exceptId }: { orgId: string; exceptId: string }, executor: Executor = getDb()): Promise<number> {
  const [row] = await executor
    .select({ value: count() })
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.role, "admin"), isNull(users.disabledAt), ne(users.id, exceptId)));
  return row?.value ?? 0;
}

/**
 * Ends every session of a user: a session cookie is a signed token that stays valid until it expires, so
 * deleting it from one browser is not enough; bumping the version makes every copy of it stale.
 */
export async function endAllSessions({ userId }: { userId: string }, executor: Executor = getDb()): Promise<void> {
  await executor
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(eq(users.id, userId));
}
