import { NextResponse, type NextRequest } from "next/server";

/**
 * Optimistic redirect only: a visitor without a session cookie is sent to /login. Pages, server actions
 * and route handlers verify the session themselves; this never grants anything.
 */
export function proxy(request: NextRequest) {
  const hasSessionCookie = request.cookies.getAll().some((cookie) => cookie.name.includes("palisade.session"));
  if (hasSessionCookie) return NextResponse.next();
  const login = new URL("/login", request.url);
  const { pathname, search } = request.nextUrl;
  if (pathname !== "/") login.searchParams.set("callbackUrl", pathname + search);
  return NextResponse.redirect(login);
}

export const config = {
  // Everything but the API, Next's assets, files with an extension, and the pages that work signed out.
  matcher: ["/((?!api/|_next/|login|setup|.*\\.[a-z0-9]+$).*)"],
};
