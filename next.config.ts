import type { NextConfig } from "next";
import { API_CONTENT_SECURITY_POLICY, COMMON_SECURITY_HEADERS, HTTPS_FORWARDED_PROTO, STRICT_TRANSPORT_SECURITY } from "./lib/security-headers";

const securityHeaders = Object.entries(COMMON_SECURITY_HEADERS).map(([key, value]) => ({ key, value }));

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // PGlite loads its WebAssembly and data files from its own package directory at run time.
  serverExternalPackages: ["@electric-sql/pglite"],
  // Migrations are applied in code at start, so deployments (Vercel included) must ship them.
  outputFileTracingIncludes: { "/**": ["./db/migrations/**"] },
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      // Pages get their Content-Security-Policy, with a nonce, from proxy.ts; API responses a static one here,
      // so no API request (the agent stream least of all) runs any code for it.
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CONTENT_SECURITY_POLICY }] },
      // HSTS on every response served over HTTPS: pages, redirects and API alike, by this one rule and without
      // code per request. Palisade never terminates TLS itself (`npm start` listens on plain HTTP, Vercel's edge
      // terminates it), so the proxy in front saying X-Forwarded-Proto: https is how HTTPS shows; Next derives
      // the request URL's protocol from the same header. A client that forges it over plain HTTP gains nothing:
      // browsers ignore HSTS received over HTTP. With TRUSTED_PROXIES=0, `npm start` drops the header anyway.
      {
        source: "/:path*",
        has: [{ type: "header", key: "x-forwarded-proto", value: HTTPS_FORWARDED_PROTO }],
        headers: [{ key: "Strict-Transport-Security", value: STRICT_TRANSPORT_SECURITY }],
      },
    ];
  },
};

export default nextConfig;
