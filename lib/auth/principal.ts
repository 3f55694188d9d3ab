import { findTokenOwner, touchApiToken } from "@/db/queries/api-tokens";
import type { Actor } from "@/db/queries/audit-logs";
import type { Agent, User } from "@/db/schema";
import { clientIp, userAgent } from "@/lib/api/request";
import { ApiError } from "@/lib/errors";
import { logError } from "@/lib/log";
import { agentForTokenHash } from "./agent-tokens";
import { hashSecret, isWellFormedSecret } from "./secrets";
import { sessionFromRequest } from "./session";

/** An authenticated console user, by API token or by console session. */
export interface UserPrincipal {
  user: User;
  via: "token" | "session";
  /** The credential, for limits that apply per credential: `token:<id>` for an API token, `user:<id>` for sessions. */
  credential: string;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The Bearer credential, "" when the header is present but not a Bearer credential, null when absent. */
export function bearerCredential(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (header === null) return null;
  return BEARER.exec(header)?.[1] ?? "";
}

async function principalFromApiToken(token: string): Promise<UserPrincipal | null> {
  if (!isWellFormedSecret("apiToken", token)) return null;
  const owner = await findTokenOwner({ tokenHash: hashSecret(token) });
  if (!owner) return null;
  // Recording use must never fail the request it records.
  touchApiToken({ id: owner.tokenId }).catch((error) => logError("recording token use", error));
  return { user: owner.user, via: "token", credential: `token:${owner.tokenId}` };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A session cookie rides along on any request the browser makes, so a write authenticated by it must come
 * from this origin. SameSite=Lax already stops most cross-site writes; this refuses the rest.
 */
function isCrossSiteWrite(request: Request): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  const origin = request.headers.get("origin");
  if (origin === null) return request.headers.get("sec-fetch-site") === "cross-site";
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  return origin === "null" || new URL(origin).host !== host;
}

/**
 * Authenticates the caller as a user: a Bearer API token when an Authorization header is present,
 * otherwise the console session cookie. Anything else throws the 401 every family documents.
 */
export async function authenticateUser(request: Request): Promise<UserPrincipal> {
  const token = bearerCredential(request);
  if (token !== null) {
    const principal = token ? await principalFromApiToken(token) : null;
    if (!principal) throw ApiError.unauthenticated();
    return principal;
  }
  const session = await sessionFromRequest(request);
  if (!session || session.access !== "ok") throw ApiError.unauthenticated();
  if (isCrossSiteWrite(request)) throw ApiError.forbidden();
  return { user: session.user, via: "session", credential: `user:${session.user.id}` };
}

/** Authenticates an endpoint agent by its agent token. API tokens and sessions are refused here. */
export async function authenticateAgent(request: Request): Promise<Agent> {
  const token = bearerCredential(request);
  const agent = token && isWellFormedSecret("agentToken", token) ? await agentForTokenHash(hashSecret(token)) : null;
  if (!agent) throw ApiError.unauthenticated();
  return agent;
}

export function actorFor(user: Pick<User, "id" | "email" | "orgId">, request?: Request): Actor {
  return {
    orgId: user.orgId,
    userId: user.id,
    email: user.email,
    ip: request ? clientIp(request) : null,
    userAgent: request ? userAgent(request) : null,
  };
}
