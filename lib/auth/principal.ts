import { findTokenOwner, touchApiToken } from "@/db/queries/api-tokens";
import type { Actor } from "@/lib/audit/log";
import type { Agent, User } from "@/db/schema";
import { clientIp, userAgent } from "@/lib/api/request";
import { env } from "@/lib/env";
import { ApiError } from "@/lib/errors";
import { logError } from "@/lib/log";
import { isAddressAllowed } from "@/lib/policies/kinds";
import { agentForTokenHash, isCurrentAgent } from "./agent-tokens";
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
export function bearerCredential(request: { headers: Headers }): string | null {
  const header = request.headers.get("authorization");
  if (header === null) return null;
  return BEARER.exec(header)?.[1] ?? "";
}

/** How stale a token's recorded last use may be before a request records it again. */
const TOKEN_USE_RESOLUTION_MS = 60_000;

function isUseStale(lastUsedAt: Date | null): boolean {
  return lastUsedAt === null || Date.now() - lastUsedAt.getTime() >= TOKEN_USE_RESOLUTION_MS;
}

/** The 403 of a request whose address the organization's IP allowlist does not admit. */
export const ADDRESS_NOT_ALLOWED = "Your network address is not on your organization's IP allowlist";

async function principalFromApiToken(token: string, request: Request): Promise<UserPrincipal | null> {
  if (!isWellFormedSecret("apiToken", token)) return null;
  const owner = await findTokenOwner({ tokenHash: hashSecret(token) });
  if (!owner) return null;
  const allowlist = owner.requestPolicies.ip_allowlist;
  if (allowlist && !isAddressAllowed(allowlist, clientIp(request), "api")) throw ApiError.forbidden(ADDRESS_NOT_ALLOWED);
  // Use is recorded to the minute: a busy token costs no write on most requests. Recording must never fail the
  // request it records.
  if (isUseStale(owner.lastUsedAt)) touchApiToken({ id: owner.tokenId }).catch((error) => logError("recording token use", error));
  return { user: owner.user, via: "token", credential: `token:${owner.tokenId}` };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The host this request was sent to, as the browser saw it: a proxy's X-Forwarded-Host only when TRUSTED_PROXIES
 * says proxies are in front (otherwise the client wrote it).
 */
function requestHost(request: Request): string {
  const forwarded = env().TRUSTED_PROXIES > 0 ? request.headers.get("x-forwarded-host") : null;
  return forwarded ?? request.headers.get("host") ?? new URL(request.url).host;
}

/**
 * Whether an `Origin` or `Referer` value names this server's own origin. "null", an empty value and
 * anything that is not a URL (`http://[`) do not: they are refused, never an error.
 */
function isThisOrigin(request: Request, value: string | null): boolean {
  if (value === null || !URL.canParse(value)) return false;
  return new URL(value).host === requestHost(request);
}

/**
 * A session cookie rides along on any request the browser makes, so a write authenticated by it must come
 * from this origin. SameSite=Lax already stops most cross-site writes; this refuses the rest.
 */
function isCrossSiteWrite(request: Request): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  const origin = request.headers.get("origin");
  if (origin === null) return request.headers.get("sec-fetch-site") === "cross-site";
  return !isThisOrigin(request, origin);
}

/** `Sec-Fetch-Site` values of a request this origin made, or the user made by typing an address or opening a bookmark. */
const OWN_FETCH_SITES = new Set(["same-origin", "none"]);

/**
 * For a GET with an effect (an audited export): SameSite=Lax still sends the cookie on a top-level
 * navigation from another site, so such a request must show it comes from this origin. Current browsers
 * send `Sec-Fetch-Site` to HTTPS and localhost origins: `same-origin` and `none` (a typed address or a
 * bookmark) pass, `same-site` and `cross-site` do not. Without it (an older browser, or plain HTTP), a
 * `Referer` of this origin is required (the console's pages send one: Referrer-Policy same-origin).
 * An `Origin` of another site is refused in any case.
 */
function isCrossSiteRequest(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin !== null && !isThisOrigin(request, origin)) return true;
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite !== null) return !OWN_FETCH_SITES.has(fetchSite);
  return !isThisOrigin(request, request.headers.get("referer"));
}

export interface AuthenticateOptions {
  /**
   * Refuse a console session's request (any method) unless it comes from this origin, for a read that has
   * an effect. API tokens are not sent by browsers on their own, so they are unaffected.
   */
  sameOriginOnly?: boolean;
  /**
   * The request is not the user's doing (a live view's background stream): it does not count as use of a console
   * session, so it cannot keep an idle session alive.
   */
  passive?: boolean;
}

/**
 * Authenticates the caller as a user: a Bearer API token when an Authorization header is present,
 * otherwise the console session cookie. Anything else throws the 401 every family documents; a session's
 * request from another site throws 403.
 */
export async function authenticateUser(request: Request, options: AuthenticateOptions = {}): Promise<UserPrincipal> {
  const token = bearerCredential(request);
  if (token !== null) {
    const principal = token ? await principalFromApiToken(token, request) : null;
    if (!principal) throw ApiError.unauthenticated();
    return principal;
  }
  const session = await sessionFromRequest(request, { active: !options.passive });
  if (session?.access === "blocked") throw ApiError.forbidden(ADDRESS_NOT_ALLOWED);
  if (!session || session.access !== "ok") throw ApiError.unauthenticated();
  if (isCrossSiteWrite(request)) throw ApiError.forbidden();
  if (options.sameOriginOnly && isCrossSiteRequest(request)) throw ApiError.forbidden();
  return { user: session.user, via: "session", credential: `user:${session.user.id}` };
}

/** An agent authenticated by its token. */
export interface AgentPrincipal {
  agent: Agent;
  /** Whether nothing meant for the agent (a revocation, new overrides) has been seen since it was read. */
  isCurrent(): boolean;
}

/** Authenticates an endpoint agent by its agent token. API tokens and sessions are refused here. */
export async function authenticateAgent(request: { headers: Headers }): Promise<AgentPrincipal> {
  const token = bearerCredential(request);
  const tokenHash = token && isWellFormedSecret("agentToken", token) ? hashSecret(token) : null;
  const agent = tokenHash ? await agentForTokenHash(tokenHash) : null;
  if (!agent || !tokenHash) throw ApiError.unauthenticated();
  return { agent, isCurrent: () => isCurrentAgent(tokenHash, agent) };
}

export function actorFor(user: Pick<User, "id" | "email" | "orgId">, request?: Request, via?: UserPrincipal["via"]): Actor {
  return {
    channel: via === undefined ? undefined : via === "token" ? "api" : "console",
    orgId: user.orgId,
    userId: user.id,
    email: user.email,
    ip: request ? clientIp(request) : null,
    userAgent: request ? userAgent(request) : null,
  };
}
