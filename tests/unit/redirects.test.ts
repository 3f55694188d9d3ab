import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "@/lib/auth/redirects";

describe("safeRedirectPath", () => {
  it("keeps paths of this app, normalized", () => {
    expect(safeRedirectPath("/policies")).toBe("/policies");
    expect(safeRedirectPath("/audit?action=toggle_policy&success=false")).toBe("/audit?action=toggle_policy&success=false");
    expect(safeRedirectPath("/policies/pol-mfa-required#history")).toBe("/policies/pol-mfa-required#history");
    expect(safeRedirectPath("/a/../policies")).toBe("/policies");
    expect(safeRedirectPath("/%2F%2Fevil.example")).toBe("/%2F%2Fevil.example");
  });

  // Known open-redirect bypasses: each must fall back to "/".
  const bypasses: [string, string][] = [
    ["protocol-relative", "//evil.example"],
    ["protocol-relative with path", "//evil.example/policies"],
    ["slash backslash", "/\\evil.example"],
    ["backslash slash", "\\/evil.example"],
    ["backslashes", "\\\\evil.example"],
    ["tab between slashes", "/\t/evil.example/"],
    ["newline between slashes", "/\n/evil.example"],
    ["carriage return between slashes", "/\r/evil.example"],
    ["NUL", "/\u0000/evil.example"],
    ["leading space", " //evil.example"],
    ["encoded slashes, undecoded", "%2F%2Fevil.example"],
    ["javascript:", "javascript:alert(1)"],
    ["data:", "data:text/html,<script>alert(1)</script>"],
    ["https:evil", "https:evil.example"],
    ["https://", "https://evil.example"],
    ["scheme-relative with credentials", "//user@evil.example"],
    ["division slash", "/\u2215evil.example"],
    ["fullwidth solidus", "/\uFF0Fevil.example"],
    ["fullwidth solidus first", "\uFF0F\uFF0Fevil.example"],
    ["fraction slash", "/\u2044evil.example"],
    ["triple slash", "///evil.example"],
    ["dot segments up to a double slash", "/..//evil.example"],
    ["dot segment then double slash", "/.//evil.example/x"],
    ["empty", ""],
    ["relative", "policies"],
  ];
  for (const [name, value] of bypasses) {
    it(`refuses ${name}`, () => expect(safeRedirectPath(value)).toBe("/"));
  }

  it("refuses what is not a string, and overlong values", () => {
    for (const value of [undefined, null, 42, ["/policies"], { href: "/policies" }]) expect(safeRedirectPath(value)).toBe("/");
    expect(safeRedirectPath(`/${"a".repeat(3000)}`)).toBe("/");
    expect(safeRedirectPath(`/${"a".repeat(2047)}`)).toBe(`/${"a".repeat(2047)}`);
    expect(safeRedirectPath(`/${"a".repeat(2048)}`)).toBe("/");
  });
});
