import { randomBytes } from "node:crypto";
import NextAuth, { CredentialsSignin, type NextAuthConfig } from "next-auth";
import type { JWT } from "next-auth/jwt";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { recordAudit } from "@/lib/audit/log";
import { claimEnrollmentUpgrade } from "@/db/queries/mfa";
import { endAllSessions } from "@/db/queries/users";
import { databaseReady, getDb } from "@/db";
import { clientIp, userAgent } from "@/lib/api/request";
import { logError } from "@/lib/log";
import { resolveSession } from "@/lib/auth/session";
import { attemptPasskeySignIn, attemptSignIn, type MfaState } from "@/lib/auth/sign-in";
import { encodeSignInRefusal, SESSION_MAX_AGE_SECONDS, sessionCookieName, sessionCookieSecure } from "@/lib/auth/authjs";
import { isStorableText } from "@/lib/validation";

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
  /** The user's session version at sign-in: bumping it ends the session. */
  sv: number;
  mfa: MfaState;
  /** Random per sign-in; binds an MFA enrolment to the session that started it. */
  sid: string;
  /** When the user signed in (seconds since the epoch): the session's absolute lifetime counts from here. */
  at: number;
}

/** Thrown from authorize(); its `code` reaches the sign-in form. */
class SignInRefused extends CredentialsSignin {
  constructor(code: string) {
    super();
    this.code = code;
  }
}

const storable = (text: string) => isStorableText(text);
// A passkey's answer, as the JSON text the browser produced (lib/auth/webauthn.ts validates its shape).
const passkeyAnswer = z.string().max(32_768).refine(storable);
const credentialsSchema = z.union([
  z.object({
    email: z.string().trim().min(1).max(320).refine(storable),
    password: z.string().min(1).max(1024).refine(storable),
    code: z.string().trim().max(32).refine(storable).optional(),
    passkey: passkeyAnswer.optional(),
    organization: z.string().trim().max(100).refine(storable).optional(),
  }),
  // "Sign in with a passkey": no email, no password.
  z.object({ passkey: passkeyAnswer.min(1) }),
]);

/**
 * The session behind a token, checked against the database, or null when it has ended (signed out, password
 * changed, user disabled, MFA reset or enrolled elsewhere, absolute lifetime over). Auth.js's own endpoints
 * then clear the cookie instead of refreshing it.
 */
async function currentClaims(token: JWT): Promise<JWT | null> {
  // Whether the address is allowed is not this question: a refresh grants nothing, and pages and handlers check it.
  const session = await resolveSession(token as Partial<SessionClaims>, null);
  return session ? { ...token, role: session.user.role } : null;
}

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
      sessionToken: { name: sessionCookieName(secure), options: { httpOnly: true, sameSite: "lax", path: "/", secure } },
    },
    providers: [
      Credentials({
        credentials: { email: {}, password: {}, code: {}, passkey: {}, organization: {} },
        async authorize(raw, request) {
          const parsed = credentialsSchema.safeParse(raw);
          if (!parsed.success) throw new SignInRefused("invalid_credentials");
          await databaseReady();
          const client = { ip: clientIp(request) ?? "unknown", userAgent: userAgent(request) };
          const credentials = parsed.data;
          const result =
            "email" in credentials
              ? await attemptSignIn({
                  ...credentials,
                  code: credentials.code || undefined,
                  passkey: credentials.passkey || undefined,
                  organization: credentials.organization || undefined,
                  ...client,
                })
              : await attemptPasskeySignIn({ passkey: credentials.passkey, ...client });
          if (!result.ok) throw new SignInRefused(encodeSignInRefusal(result));
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
            sid: randomBytes(16).toString("base64url"),
            at: Math.floor(Date.now() / 1000),
          };
          return { ...token, ...claims };
        }
        // Never trust data sent with an update (any client can POST one): the only promotion is the one this
        // very session earned by completing its own MFA enrolment, recorded in the database and spent once.
        const claims = token as Partial<SessionClaims>;
        if (trigger === "update" && claims.uid && claims.sid) {
          const upgraded = await claimEnrollmentUpgrade({ userId: claims.uid, sessionId: claims.sid });
          if (upgraded !== null) return currentClaims({ ...token, sv: upgraded, mfa: "verified" });
        }
        return currentClaims(token);
      },
      session({ session, token }) {
        const claims = token as Partial<SessionClaims> as SessionClaims;
        return { ...session, user: { ...session.user, id: claims.uid, email: claims.email, role: claims.role, orgId: claims.orgId, mfa: claims.mfa } };
      },
    },
    events: {
      // Every way of signing out (the console's button or Auth.js's own endpoint) ends every session of the
      // account: a session is a signed cookie, so forgetting it in one browser would leave any copy working.
      // Only a live session can do that: a copy of an ended one can neither sign the user out again nor write
      // a logout row in their name.
      async signOut(message) {
        const token = "token" in message ? message.token : null;
        const session = token ? await resolveSession(token as Partial<SessionClaims>, null) : null;
        if (!session) return;
        const claims = token as Partial<SessionClaims> as SessionClaims;
        await endAllSessions({ userId: claims.uid });
        await recordAudit({ orgId: claims.orgId, userId: claims.uid, email: claims.email }, {
          action: "logout",
          resource: `user:${claims.uid}`,
          details: "Signed out",
          success: true,
        }, getDb());
      },
    },
  } satisfies NextAuthConfig;
});

export const { signIn, signOut, unstable_update: updateSession } = nextAuth;
export const { GET, POST } = nextAuth.handlers;
