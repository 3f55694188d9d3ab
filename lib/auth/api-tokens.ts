import "server-only";
import { insertApiToken, revokeApiTokenRow } from "@/db/queries/api-tokens";
import { getDb } from "@/db";
import type { ApiToken, User } from "@/db/schema";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";
import { newApiTokenId } from "@/lib/ids";
import { issueSecret } from "./secrets";

/** A new token and its secret, which is returned this once: only its hash is stored. */
export interface IssuedApiToken {
  token: Omit<ApiToken, "tokenHash">;
  secret: string;
}

/**
 * Creates an API token for `user` (it acts with that user's role, in that user's organization), audited.
 * `expiresAt` null: it never expires.
 */
export function createApiToken({ actor, user, name, expiresAt }: { actor: Actor; user: Pick<User, "id" | "orgId" | "email">; name: string; expiresAt: Date | null }): Promise<IssuedApiToken> {
  const issued = issueSecret("apiToken");
  return getDb().transaction(async (tx) => {
    const token = await insertApiToken(
      {
        id: newApiTokenId(),
        orgId: user.orgId,
        userId: user.id,
        name,
        tokenHash: issued.hash,
        tokenPrefix: issued.displayPrefix,
        expiresAt,
      },
      tx,
    );
    await recordAudit(actor, { action: "create_api_token", resource: `token:${token.id}`, details: `Created API token "${token.name}" for ${user.email}`, success: true, after: token }, tx);
    return { token, secret: issued.secret };
  });
}

/**
 * Revokes a token of the organization (and of one user, when `userId` is given). Returns false, and audits the
 * refusal, when no such unrevoked token exists.
 */
export async function revokeApiToken({ id, actor, userId }: { id: string; actor: Actor; userId?: string }): Promise<boolean> {
  const revoked = await getDb().transaction(async (tx) => {
    const token = await revokeApiTokenRow({ orgId: actor.orgId, id, userId }, tx);
    if (!token) return false;
    await recordAudit(actor, { action: "revoke_api_token", resource: `token:${token.id}`, details: `Revoked API token "${token.name}"`, success: true }, tx);
    return true;
  });
  if (!revoked) await recordFailure(actor, { action: "revoke_api_token", resource: `token:${id}`, details: "Refused: no such live token of yours" });
  return revoked;
}
