import { NextResponse, type NextRequest } from "next/server";
import { hasSessionCookie } from "@/lib/auth/authjs";
import { createNonce, pageContentSecurityPolicy } from "@/lib/security-headers";

// The pages that work signed out: the sign-in and first-run pages, the API reference (it describes the code, not
// any organization's data), /metrics (it checks its own bearer token), and files (anything with an extension).
const SIGNED_OUT_PATHS = /^\/(?:api\/|_next\/|login|setup|docs\/api$|metrics$|.*\.[a-z0-9]+$)/;

/**
 * Two things, on every page request:
 * - the Content-Security-Policy with a fresh nonce, set on the request too, so Next puts the nonce on the
 *   inline scripts it renders (lib/security-headers.ts);
 * - an optimistic redirect: a visitor without a session cookie is sent to /login. Pages, server actions and
 *   route handlers verify the session themselves; this never grants anything.
 */
export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (!hasSessionCookie(request.cookies.getAll()) && !SIGNED_OUT_PATHS.test(pathname)) {
    const login = new URL("/login", request.url);
    if (pathname !== "/") login.searchParams.set("callbackUrl", pathname + search);
    return NextResponse.redirect(login);
  }

  const policy = pageContentSecurityPolicy({ nonce: createNonce(), dev: process.env.NODE_ENV === "development" });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

export const config = {
  // Every page, signed-out ones and not-found pages included. Not the API (next.config.ts gives it a static
  // policy, without work per request) and not Next's assets.
  matcher: ["/((?!api/|_next/).*)"],
};
