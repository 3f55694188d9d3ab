/**
 * The Content-Security-Policy and Strict-Transport-Security values, defined once. proxy.ts sends the page
 * policy (with a fresh nonce per request); next.config.ts sends the API policy and HSTS. Nothing here
 * touches a request, so the build config, the proxy and the unit tests can all import it.
 */

/**
 * Pages: scripts run only when they carry this response's nonce, or when a script that did loaded them
 * ('strict-dynamic': Next's chunks, loaded by its runtime). Next reads the nonce from the request's CSP
 * header and puts it on its own inline scripts and styles; that needs every page rendered per request,
 * which the root layout's `dynamic = "force-dynamic"` ensures.
 *
 * In development React uses eval() to rebuild server stacks in the browser, and the dev overlay injects
 * styles without a nonce, so `next dev` gets 'unsafe-eval' and inline styles. A production build never does.
 */
export function pageContentSecurityPolicy({ nonce, dev }: { nonce: string; dev: boolean }): string {
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(dev ? ["'unsafe-eval'"] : [])],
    // A nonce makes browsers ignore 'unsafe-inline', so development uses 'unsafe-inline' instead of it.
    "style-src": ["'self'", dev ? "'unsafe-inline'" : `'nonce-${nonce}'`],
    // The MFA enrolment page shows its QR code as a data: URL.
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(" "))
    .join("; ");
}

/** 128 random bits, base64: unguessable, and new for every page a browser loads. */
export function createNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/** API responses are JSON, CSV or event streams, never documents: they may load nothing and be framed by no one. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** Two years, this host and its subdomains. Sent only over HTTPS (see HTTPS_FORWARDED_PROTO). */
export const STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains";

/**
 * The X-Forwarded-Proto values that mean the browser connected over HTTPS, as a regular expression for
 * next.config `has` (which anchors it): `https`, or a list whose first entry, written by the outermost
 * proxy, is `https` (`https,http` when a second proxy talks HTTP to Palisade).
 */
export const HTTPS_FORWARDED_PROTO = "https\\s*(?:,.*)?";

/** Headers on every response, pages and API alike (next.config.ts; the server entry's lean path adds them itself). */
export const COMMON_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
};

/** The static headers of an API response: the common ones, the API's CSP, and HSTS when it came over HTTPS. */
export function apiSecurityHeaders(forwardedProto: string | null): Record<string, string> {
  const headers: Record<string, string> = { ...COMMON_SECURITY_HEADERS, "Content-Security-Policy": API_CONTENT_SECURITY_POLICY };
  if (forwardedProto !== null && new RegExp(`^${HTTPS_FORWARDED_PROTO}$`).test(forwardedProto)) headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY;
  return headers;
}
