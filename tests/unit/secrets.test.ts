import { describe, expect, it } from "vitest";
import { hashSecret, isWellFormedSecret, issueSecret } from "@/lib/auth/secrets";
import { generatePolicyId } from "@/lib/policies/ids";

describe("secrets", () => {
  it("issues 32 random bytes behind a recognizable prefix, and keeps only a SHA-256 hash", () => {
    const a = issueSecret("apiToken");
    const b = issueSecret("apiToken");
    expect(a.secret).toMatch(/^pal_[A-Za-z0-9_-]{43}$/);
    expect(a.secret).not.toBe(b.secret);
    expect(a.hash).toBe(hashSecret(a.secret));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.secret.startsWith(a.displayPrefix)).toBe(true);
    expect(a.displayPrefix.length).toBeLessThan(12);
  });

  it("tells the kinds apart", () => {
    expect(isWellFormedSecret("apiToken", issueSecret("apiToken").secret)).toBe(true);
    expect(isWellFormedSecret("apiToken", issueSecret("agentToken").secret)).toBe(false);
    expect(isWellFormedSecret("agentToken", issueSecret("agentToken").secret)).toBe(true);
    expect(isWellFormedSecret("apiToken", "pal_short")).toBe(false);
  });
});

describe("generatePolicyId", () => {
  it("makes a readable slug with a random suffix", () => {
    expect(generatePolicyId("Block USB storage!")).toMatch(/^pol-block-usb-storage-[0-9a-f]{6}$/);
    expect(generatePolicyId("Ünïcödé ✓")).toMatch(/^pol-unicode-[0-9a-f]{6}$/);
    expect(generatePolicyId("✓✓✓")).toMatch(/^pol-[0-9a-f]{8}$/);
    expect(generatePolicyId("x".repeat(200)).length).toBeLessThanOrEqual(64);
  });
});
