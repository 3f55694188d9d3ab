import { describe, expect, it } from "vitest";
import { API_CONTENT_SECURITY_POLICY, createNonce, HTTPS_FORWARDED_PROTO, pageContentSecurityPolicy } from "@/lib/security-headers";

/** The policy as a map from directive to its sources. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((directive) => {
      const [name, ...sources] = directive.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

describe("pageContentSecurityPolicy", () => {
  const nonce = createNonce();
  const production = directives(pageContentSecurityPolicy({ nonce, dev: false }));
  const development = directives(pageContentSecurityPolicy({ nonce, dev: true }));

  it("lets only scripts with the nonce, and what they load, run", () => {
    expect(production.get("script-src")).toEqual(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"]);
    expect(production.get("style-src")).toEqual(["'self'", `'nonce-${nonce}'`]);
  });

  it("never allows eval or inline code in production", () => {
    const policy = pageContentSecurityPolicy({ nonce, dev: false });
    expect(policy).not.toContain("unsafe-eval");
    expect(policy).not.toContain("unsafe-inline");
  });

  it("allows eval in development, for React's debugging, and the dev overlay's inline styles", () => {
    expect(development.get("script-src")).toEqual(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", "'unsafe-eval'"]);
    expect(development.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
  });

  it("forbids framing, plugins and foreign bases and form targets", () => {
    for (const policy of [production, development]) {
      expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
      expect(policy.get("object-src")).toEqual(["'none'"]);
      expect(policy.get("base-uri")).toEqual(["'self'"]);
      expect(policy.get("form-action")).toEqual(["'self'"]);
      expect(policy.get("default-src")).toEqual(["'self'"]);
    }
  });

  it("allows data: images, for the MFA enrolment QR code", () => {
    expect(production.get("img-src")).toEqual(["'self'", "data:"]);
  });
});

describe("createNonce", () => {
  it("is 128 random bits in base64, new each time", () => {
    const nonces = new Set(Array.from({ length: 100 }, createNonce));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });
});

describe("API_CONTENT_SECURITY_POLICY", () => {
  it("loads nothing and cannot be framed", () => {
    expect(directives(API_CONTENT_SECURITY_POLICY)).toEqual(
      new Map([
        ["default-src", ["'none'"]],
        ["frame-ancestors", ["'none'"]],
      ]),
    );
  });
});

describe("HTTPS_FORWARDED_PROTO", () => {
  // next.config `has` anchors the expression the same way.
  const servedOverHttps = (value: string) => new RegExp(`^${HTTPS_FORWARDED_PROTO}$`).test(value);

  it("matches when the outermost proxy spoke HTTPS with the browser", () => {
    expect(servedOverHttps("https")).toBe(true);
    expect(servedOverHttps("https,http")).toBe(true);
    expect(servedOverHttps("https, http")).toBe(true);
  });

  it("does not match plain HTTP", () => {
    expect(servedOverHttps("http")).toBe(false);
    expect(servedOverHttps("http,https")).toBe(false);
    expect(servedOverHttps("httpsx")).toBe(false);
    expect(servedOverHttps("")).toBe(false);
  });
});
