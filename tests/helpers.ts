import { encode } from "next-auth/jwt";
import type { SessionClaims } from "@/auth";
import { createApiToken } from "@/lib/auth/api-tokens";
import { createUser } from "@/lib/users/service";
import type { User } from "@/db/schema";
import type { Role } from "@/lib/users/roles";
import { hashPassword } from "@/lib/auth/password";
import { actorFor } from "@/lib/auth/principal";
import { SESSION_MAX_AGE_SECONDS, sessionCookieName } from "@/lib/auth/authjs";
import { env } from "@/lib/env";
import { randomHex } from "@/lib/ids";

export const TEST_PASSWORD = "correct horse battery staple";
let passwordHash: Promise<string> | undefined;

export interface TestUser {
  user: User;
  token: string;
}

export async function createTestUser(role: Role, organization: { id: string } | { name: string }): Promise<TestUser> {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  const user = await createUser({
    email: `${role}-${randomHex(4)}@example.test`,
    passwordHash: await passwordHash,
    role,
    organization,
  });
  const { secret } = await createApiToken({ actor: actorFor(user), user, name: "test", expiresAt: null });
  return { user, token: secret };
}

export interface TestOrg {
  orgId: string;
  orgName: string;
  admin: TestUser;
  viewer: TestUser;
}

/** A new organization with one admin and one viewer, each with an API token. */
export async function createTestOrg(): Promise<TestOrg> {
  const orgName = `org-${randomHex(6)}`;
  const admin = await createTestUser("admin", { name: orgName });
  const viewer = await createTestUser("viewer", { id: admin.user.orgId });
  return { orgId: admin.user.orgId, orgName, admin, viewer };
}

/**
 * A `Cookie` header carrying a console session of the user, signed in with MFA, encoded as Auth.js encodes
 * it (same cookie name and salt as lib/auth/session.ts, the claims of auth.ts).
 */
export async function sessionCookie(user: User, overrides: Partial<SessionClaims> = {}): Promise<string> {
  const name = sessionCookieName();
  const claims: SessionClaims = {
    uid: user.id,
    email: user.email,
    role: user.role,
    orgId: user.orgId,
    sv: user.sessionVersion,
    mfa: "verified",
    sid: randomHex(16),
    at: Math.floor(Date.now() / 1000),
    ...overrides,
  };
  const value = await encode({ token: { ...claims }, secret: env().AUTH_SECRET!, salt: name, maxAge: SESSION_MAX_AGE_SECONDS });
  return `${name}=${value}`;
}

type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

export interface CallOptions<P> {
  token?: string;
  params?: P;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Aborts the request, as a client that disconnects. */
  signal?: AbortSignal;
}

/** Calls a route handler the way Next.js does, with a real Request. */
export function call<P = Record<string, string>>(
  handler: Handler<P>,
  method: string,
  path: string,
  options: CallOptions<P> = {},
): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
  if (options.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const request = new Request(`http://localhost${path}`, { method, headers, body, signal: options.signal });
  // As Next.js does, a route without dynamic segments gets no params.
  return handler(request, { params: Promise.resolve(options.params as P) });
}
