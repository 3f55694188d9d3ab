import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { getDb, prepared, type Executor } from "@/db";
import { apiTokens, users, type ApiToken, type User } from "@/db/schema";
import type { ActiveSettings } from "@/lib/policies/kinds";
import { requestPoliciesOf } from "./policies";

/** Token fields that are safe to list: never the hash. */
export type PublicApiToken = Omit<ApiToken, "tokenHash"> & { ownerEmail: string };

const publicColumns = {
  id: apiTokens.id,
  orgId: apiTokens.orgId,
  userId: apiTokens.userId,
  name: apiTokens.name,
  tokenPrefix: apiTokens.tokenPrefix,
  expiresAt: apiTokens.expiresAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
  createdAt: apiTokens.createdAt,
  ownerEmail: users.email,
};

/** Inserts a token, returning it without its hash. */
export async function insertApiToken(values: typeof apiTokens.$inferInsert, executor: Executor = getDb()): Promise<Omit<ApiToken, "tokenHash">> {
  const [token] = await executor.insert(apiTokens).values(values).returning();
  if (!token) throw new Error("token insert returned no row");
  const { tokenHash: _hash, ...safe } = token;
  return safe;
}

/** Tokens of an organization, optionally of one user, newest first. */
export function listApiTokens({ orgId, userId }: { orgId: string; userId?: string }): Promise<PublicApiToken[]> {
  return getDb()
    .select(publicColumns)
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.orgId, orgId), userId ? eq(apiTokens.userId, userId) : undefined))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
}

export async function findApiToken({ id }: { id: string }): Promise<PublicApiToken | null> {
  const [token] = await getDb()
    .select(publicColumns)
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.id, id));
  return token ?? null;
}

/** Revokes a live token of the organization (and of one user, when `userId` is given). Null when there is none. */
export async function revokeApiTokenRow(
  { orgId, id, userId }: { orgId: string; id: string; userId?: string },
  executor: Executor = getDb(),
): Promise<{ id: string; name: string } | null> {
  const [token] = await executor
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.orgId, orgId), userId ? eq(apiTokens.userId, userId) : undefined, isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id, name: apiTokens.name });
  return token ?? null;
}

/** Revokes every live token of a user. Returns how many were revoked. */
export async function revokeTokensOf({ userId }: { userId: string }, executor: Executor = getDb()): Promise<number> {
  const revoked = await executor
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return revoked.length;
}

export interface TokenOwner {
  tokenId: string;
  lastUsedAt: Date | null;
  user: User;
  /** The organization's enabled policies each request is checked against. */
  requestPolicies: ActiveSettings;
}

/** The owner of a live token: not revoked, not expired, and owned by an enabled user. Every API request runs it. */
export async function findTokenOwner({ tokenHash }: { tokenHash: string }): Promise<TokenOwner | null> {
  const query = prepared("find_token_owner", (db, name) =>
    db
      .select({ tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt, user: users, requestPolicies: requestPoliciesOf(users.orgId) })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(
        and(
          eq(apiTokens.tokenHash, sql.placeholder("tokenHash")),
          isNull(apiTokens.revokedAt),
          or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)),
          isNull(users.disabledAt),
        ),
      )
      .prepare(name),
  );
  const [row] = await query.execute({ tokenHash });
  return row ?? null;
}

/** Records use at most once a minute per token, even when concurrent requests each saw a stale time. */
export async function touchApiToken({ id }: { id: string }): Promise<void> {
  await getDb()
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - interval '1 minute'`))));
}
