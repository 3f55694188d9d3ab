import { env } from "@/lib/env";

export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

/** Secure (HTTPS-only) in production unless AUTH_COOKIE_SECURE=false; browsers treat http://localhost as secure. */
export function sessionCookieSecure(): boolean {
  return env().AUTH_COOKIE_SECURE ?? env().NODE_ENV === "production";
}

export const SESSION_COOKIE = (secure: boolean) => (secure ? "__Secure-palisade.session" : "palisade.session");
