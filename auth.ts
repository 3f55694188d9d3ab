import NextAuth, { CredentialsSignin, type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { insertAuditLog } from "@/db/queries/audit-logs";
import { endAllSessions, findSessionUser } from "@/db/queries/users";
import { databaseReady, getDb } from "@/db";
import { clientIp, userAgent } from "@/lib/api/request";
import { logError } from "@/lib/log";
import { attemptSignIn, type MfaState } from "@/lib/auth/sign-in";
import { SESSION_COOKIE, SESSION_MAX_AGE_SECONDS, sessionCookieSecure } from "@/lib/auth/session-cookie";

declare module "next-auth" {
  interface User {
    role?: string;
    orgId?: string;
    sessionVersion?: number;
    mfa?: MfaState;
  }
  interface Session {
    user: { id: string; email: string; role: string; orgId: string; mfa: MfaState };
  }
}

/** What the session JWT carries. Every request re-checks the user in the database; these are never trusted alone. */
export interface SessionClaims {
  uid: string;
  email: string;
  role: string;
  orgId: string;
  sv: number;
  mfa: MfaState;
}

/** Thrown from authorize(); its `code` reaches the sign-in form. */
class SignInRefused extends CredentialsSignin {
  constructor(code: string) {
    super();
    this.code = code;
  }
}

const credentialsSchema = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
  code: z.string().trim().max(32).optional(),
});

const nextAuth = NextAuth(() => {
  const secure = sessionCookieSecure();
  return {
    trustHost: true,
    // A refused sign-in is an expected outcome, already counted and audited: not an error with a stack trace.
    logger: {
      error(error) {
        if (error instanceof CredentialsSignin) return;
        logError("auth", error);
      },
    },
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/login", error: "/login" },
    useSecureCookies: secure,
    cookies: {
      sessionToken: { name: SESSION_COOKIE(secure), options: { httpOnly: true, sameSite: "lax", path: "/", secure } },
    },
    providers: [
      Credentials({
        credentials: { email: {}, password: {}, code: {} },
        async authorize(raw, request) {
          const parsed = credentialsSchema.safeParse(raw);
          if (!parsed.success) throw new SignInRefused("invalid_credentials");
          await databaseReady();
          const result = await attemptSignIn({
            ...parsed.data,
            code: parsed.data.code || undefined,
            ip: clientIp(request) ?? "unknown",
            userAgent: userAgent(request),
          });
          if (!result.ok) throw new SignInRefused(result.reason === "rate_limited" ? `rate_limited:${result.retryAt.toISOString()}` : result.reason);
          const { user, mfa } = result;
          return { id: user.id, email: user.email, role: user.role, orgId: user.orgId, sessionVersion: user.sessionVersion, mfa };
        },
      }),
    ],
    callbacks: {
      async jwt({ token, user, trigger }) {
        if (user) {
          const claims: SessionClaims = {
            uid: user.id!,
            email: user.email!,
            role: user.role!,
            orgId: user.orgId!,
            sv: user.sessionVersion!,
            mfa: user.mfa!,
          };
          return { ...token, ...claims };
        }
        if (trigger === "update") {
          // Never trust data sent with an update: re-derive the state from the database.
          const claims = token as unknown as SessionClaims;
          const current = await findSessionUser({ id: claims.uid, sessionVersion: claims.sv });
          if (!current) return null;
          const enrolled = claims.mfa === "enroll" && current.user.totpEnabledAt !== null;
          return { ...token, role: current.user.role, mfa: enrolled ? "verified" : claims.mfa };
        }
        return token;
      },
      session({ session, token }) {
        const claims = token as unknown as SessionClaims;
        return { ...session, user: { ...session.user, id: claims.uid, email: claims.email, role: claims.role, orgId: claims.orgId, mfa: claims.mfa } };
      },
    },
    events: {
      // Every way of signing out (the console's button or Auth.js's own endpoint) ends every session of the
      // account: a session is a signed cookie, so forgetting it in one browser would leave any copy working.
      async signOut(message) {
        const claims = "token" in message && message.token ? (message.token as unknown as SessionClaims) : null;
        if (!claims?.uid) return;
        await endAllSessions({ userId: claims.uid });
        await insertAuditLog(getDb(), { orgId: claims.orgId, userId: claims.uid, email: claims.email }, {
          action: "logout",
          resource: `user:${claims.uid}`,
          details: "Signed out",
          success: true,
        });
      },
    },
  } satisfies NextAuthConfig;
});

export const { signIn, signOut, unstable_update: updateSession } = nextAuth;
export const { GET, POST } = nextAuth.handlers;
