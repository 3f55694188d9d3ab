import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import type { SessionClaims } from "@/auth";
import type { Actor } from "@/lib/audit/log";
import { findSessionUser, touchConsoleSession } from "@/db/queries/users";
import { databaseReady } from "@/db";
import type { User } from "@/db/schema";
import { clientIp, userAgent } from "@/lib/api/request";
import { cookiesOf, readSessionClaims, SESSION_ABSOLUTE_LIFETIME_SECONDS } from "./authjs";
import { isAddressAllowed, type SessionTimeoutSettings } from "@/lib/policies/kinds";
import type { MfaState } from "./sign-in";

/**
 * Where a session stands:
 * - "ok": full access for the user's role;
 * - "enroll": MFA is required and the user has no second factor (passkey or TOTP) yet: only /mfa/enroll is reachable;
 * - "reauth": MFA is required and this session did not present a code: sign in again;
 * - "blocked": the organization's IP allowlist does not admit the request's address to the console.
 */
export type SessionAccess = "ok" | "enroll" | "reauth" | "blocked";

export interface SessionUser {
  user: User;
  mfa: MfaState;
  access: SessionAccess;
  /** Random per sign-in: what binds an MFA enrolment to the session that started it. */
  sessionId: string;
  /** When an enabled session timeout policy ends the session, unless it is used again before the idle deadline. */
  deadlines: SessionDeadlines | null;
}

export interface SessionDeadlines {
  /** The absolute end, since sign-in. */
  expiresAt: Date;
  /** The end if the session is not used again before then. */
  idleExpiresAt: Date;
}

function accessFor({ user, mfaRequired, hasPasskey }: { user: User; mfaRequired: boolean; hasPasskey: boolean }, mfa: MfaState): SessionAccess {
  if (!mfaRequired || mfa === "verified") return "ok";
  return user.totpEnabledAt || hasPasskey ? "reauth" : "enroll";
}

/** Claims of a session that can still be live: complete, and within the absolute lifetime since sign-in. */
export function liveClaims(claims: Partial<SessionClaims> | null | undefined, now = Date.now()): SessionClaims | null {
  if (!claims?.uid || typeof claims.sv !== "number" || !claims.mfa || typeof claims.sid !== "string" || typeof claims.at !== "number") return null;
  if (now / 1000 >= claims.at + SESSION_ABSOLUTE_LIFETIME_SECONDS) return null;
  return claims as SessionClaims;
}

/** How stale a session's recorded last use may be before a request records it again. */
const SESSION_USE_RESOLUTION_MS = 60_000;

function isUseStale(lastSeenAt: Date | null, now = Date.now()): boolean {
  return lastSeenAt === null || now - lastSeenAt.getTime() >= SESSION_USE_RESOLUTION_MS;
}

/**
 * Whether an enabled session timeout policy ends the session: its absolute lifetime since sign-in, or its idle
 * limit since the session's last recorded use. A session not used since the policy's table existed has no use
 * recorded and is judged by its sign-in time alone.
 */
export function sessionTimedOut(claims: Pick<SessionClaims, "at">, lastSeenAt: Date | null, timeout: SessionTimeoutSettings, now = Date.now()): boolean {
  const { expiresAt, idleExpiresAt } = sessionDeadlines(claims, lastSeenAt, timeout);
  return now >= expiresAt.getTime() || (lastSeenAt !== null && now >= idleExpiresAt.getTime());
}

function sessionDeadlines(claims: Pick<SessionClaims, "at">, lastSeenAt: Date | null, timeout: SessionTimeoutSettings): SessionDeadlines {
  const expiresAt = new Date((claims.at + timeout.absoluteHours * 3600) * 1000);
  const idleFrom = lastSeenAt?.getTime() ?? claims.at * 1000;
  const idleExpiresAt = new Date(Math.min(idleFrom + timeout.idleMinutes * 60_000, expiresAt.getTime()));
  return { expiresAt, idleExpiresAt };
}

/**
 * Checks the claims of a session against the database: an incomplete or expired session, a disabled user, or an
 * ended session (its version bumped by a sign-out, a password change, an enrolment, an MFA reset) yields null.
 */
export async function resolveSession(raw: Partial<SessionClaims> | null | undefined, ip: string | null, { active = false }: { active?: boolean } = {}): Promise<SessionUser | null> {
  const claims = liveClaims(raw);
  if (!claims) return null;
  await databaseReady();
  const found = await findSessionUser({ id: claims.uid, sessionVersion: claims.sv, sessionId: claims.sid });
  if (!found) return null;
  const timeout = found.requestPolicies.session_timeout;
  if (timeout && sessionTimedOut(claims, found.lastSeenAt, timeout)) return null;
  const allowlist = found.requestPolicies.ip_allowlist;
  const access = allowlist && !isAddressAllowed(allowlist, ip, "console") ? "blocked" : accessFor(found, claims.mfa);
  // A request the allowlist refuses is no use of the session: it must not keep an idle session alive.
  let lastSeenAt = found.lastSeenAt;
  if (active && access !== "blocked" && isUseStale(lastSeenAt)) {
    await touchConsoleSession({ userId: found.user.id, sessionId: claims.sid });
    lastSeenAt = new Date();
  }
  const deadlines = timeout ? sessionDeadlines(claims, lastSeenAt, timeout) : null;
  return { user: found.user, mfa: claims.mfa, access, sessionId: claims.sid, deadlines };
}

/**
 * The session of an API request, from its cookie. `active`: the request is the user's doing and counts as use of
 * the session (not a live view's background stream, nor a check of the session itself).
 */
export async function sessionFromRequest(request: Request, { active }: { active: boolean }): Promise<SessionUser | null> {
  return resolveSession(await readSessionClaims<SessionClaims>(cookiesOf(request)), clientIp(request), { active });
}

/** The request a page or server action is rendering, for its headers. */
async function currentRequest(): Promise<Request> {
  return new Request("http://internal", { headers: await headers() });
}

/**
 * The session of the current page or server action. Read through cookies() rather than the request
 * headers, so a page re-rendered by an action that just replaced the session sees the new one.
 */
export async function currentSession(): Promise<SessionUser | null> {
  return resolveSession(await readSessionClaims<SessionClaims>((await cookies()).getAll()), clientIp(await currentRequest()), { active: true });
}

export async function actorFromHeaders(user: Pick<User, "id" | "email" | "orgId">): Promise<Actor> {
  const request = await currentRequest();
  return { orgId: user.orgId, userId: user.id, email: user.email, ip: clientIp(request), userAgent: userAgent(request), channel: "console" };
}

/**
 * For pages and server actions: the signed-in user, or a redirect to where they must go first
 * (sign-in, or MFA enrolment). `role: "admin"` sends viewers to the overview.
 */
export async function requireUser(options: { role?: "admin"; allowEnrollment?: boolean } = {}): Promise<{ user: User; actor: Actor; session: SessionUser }> {
  const session = await currentSession();
  if (!session || session.access === "reauth" || session.access === "blocked") redirect("/login");
  if (session.access === "enroll" && !options.allowEnrollment) redirect("/mfa/enroll");
  if (options.role === "admin" && session.user.role !== "admin") redirect("/");
  return { user: session.user, actor: await actorFromHeaders(session.user), session };
}
