import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { apiTokens, users, type ApiToken, type User } from "@/db/schema";
import { newApiTokenId } from "@/lib/ids";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";

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

export interface CreateApiTokenInput {
  actor: Actor;
  /** The owner: the token acts with this user's role, in this user's organization. */
  user: Pick<User, "id" | "orgId" | "email">;
  name: string;
  tokenHash: string;
  tokenPrefix: string;
  expiresAt: Date | null;
}

export async function createApiToken(input: CreateApiTokenInput): Promise<Omit<ApiToken, "tokenHash">> {
  return getDb().transaction(async (tx) => {
    const [token] = await tx
      .insert(apiTokens)
      .values({
        id: newApiTokenId(),
        orgId: input.user.orgId,
        userId: input.user.id,
        name: input.name,
        tokenHash: input.tokenHash,
        tokenPrefix: input.tokenPrefix,
        expiresAt: input.expiresAt,
      })
      .returning();
    if (!token) throw new Error("token insert returned no row");
    const { tokenHash: _hash, ...safe } = token;
    await recordAudit(input.actor, {
      action: "create_api_token",
      resource: `token:${token.id}`,
      details: `Created API token "${token.name}" for ${input.user.email}`,
      success: true,
      after: safe,
    }, tx);
    return safe;
  });
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

/**
 * Revokes a token of the organization (and of one user, when `userId` is given).
 * Returns false, and audits the refusal, when no such unrevoked token exists.
 */
export async function revokeApiToken({ id, actor, userId }: { id: string; actor: Actor; userId?: string }): Promise<boolean> {
  const revoked = await getDb().transaction(async (tx) => {
    const [token] = await tx
      .update(apiTokens)
      .set({ revokedAt: sql`now()` })
      .where(
        and(
          eq(apiTokens.id, id),
          eq(apiTokens.orgId, actor.orgId),
          userId ? eq(apiTokens.userId, userId) : undefined,
          isNull(apiTokens.revokedAt),
        ),
      )
      .returning({ id: apiTokens.id, name: apiTokens.name });
    if (!token) return false;
    await recordAudit(actor, {
      action: "revoke_api_token",
      resource: `token:${token.id}`,
      details: `Revoked API token "${token.name}"`,
      success: true,
    }, tx);
    return true;
  });
  if (!revoked) await recordFailure(actor, { action: "revoke_api_token", resource: `token:${id}`, details: "Refused: no such live token of yours" });
  return revoked;
}

/** Revokes every live token of a user, inside the caller's transaction. Returns how many were revoked. */
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
}

/** The owner of a live token: not revoked, not expired, and owned by an enabled user. */
export async function findTokenOwner({ tokenHash }: { tokenHash: string }): Promise<TokenOwner | null> {
  const [row] = await getDb()
    .select({ tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(
      and(
        eq(apiTokens.tokenHash, tokenHash),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)),
        isNull(users.disabledAt),
      ),
    );
  return row ?? null;
}

/** Records use at most once a minute per token, so busy tokens do not turn every read into a write. */
export async function touchApiToken({ id }: { id: string }): Promise<void> {
  await getDb()
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - interval '1 minute'`))),
    );
}
