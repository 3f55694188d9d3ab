import { env } from "@/lib/env";

/** A session's cookie lives this long after its last refresh… */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;
/** …and a session ends this long after its sign-in, however often it is refreshed. */
export const SESSION_ABSOLUTE_LIFETIME_SECONDS = 12 * 60 * 60;

/** Secure (HTTPS-only) in production unless AUTH_COOKIE_SECURE=false; browsers treat http://localhost as secure. */
export function sessionCookieSecure(): boolean {
  return env().AUTH_COOKIE_SECURE ?? env().NODE_ENV === "production";
}

export const SESSION_COOKIE = (secure: boolean) => (secure ? "__Secure-palisade.session" : "palisade.session");
