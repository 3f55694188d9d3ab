import { describe, expect, it } from "vitest";
import { describeError } from "@/lib/log";
import { boundedJsonObject, findUnsafeInput, plainName, plainText } from "@/lib/validation";

const nested = (depth: number): unknown => {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = { child: value };
  return value;
};

describe("findUnsafeInput", () => {
  it("accepts ordinary input, unicode included", () => {
    expect(findUnsafeInput({ name: "Zürich 🛡", rules: ["a", "b"], n: 1, ok: true, none: null })).toBeNull();
  });

  it("names the first string or key holding NUL or an unpaired surrogate", () => {
    expect(findUnsafeInput({ a: ["ok", "bad\u0000"] })).toMatchObject({ path: ["a", 1] });
    expect(findUnsafeInput({ a: "\uD800" })).toMatchObject({ path: ["a"] });
    expect(findUnsafeInput({ a: "x\uDC00" })).toMatchObject({ path: ["a"] });
    expect(findUnsafeInput({ "k\u0000": 1 })).toMatchObject({ path: ["k\u0000"], message: expect.stringContaining("key") });
    expect(findUnsafeInput("\u0000")).toMatchObject({ path: [] });
  });

  it("refuses nesting past the limit without recursion, however deep", () => {
    expect(findUnsafeInput(nested(31))).toBeNull();
    expect(findUnsafeInput(nested(40))).toMatchObject({ message: expect.stringContaining("nested too deeply") });
    expect(findUnsafeInput(nested(100_000))).toMatchObject({ message: expect.stringContaining("nested too deeply") });
  });
});

describe("plainName and plainText", () => {
  const name = plainName({ max: 50 });
  it("refuses control and bidi characters in names", () => {
    for (const value of ["web\r\n1", "web\u0000", "gpj.\u202Eexe", "a\u200Bb", "a\u2066b", "\u0085x", "tab\there"]) {
      expect(name.safeParse(value).success, JSON.stringify(value)).toBe(false);
    }
    expect(name.safeParse("  web-01.example.test  ").data).toBe("web-01.example.test");
    expect(name.safeParse("").success).toBe(false);
  });

  it("keeps line breaks and tabs in free text, and refuses the rest", () => {
    const text = plainText({ max: 100 });
    expect(text.safeParse("line one\r\nline two\tend").success).toBe(true);
    expect(text.safeParse("bell\u0007").success).toBe(false);
    expect(text.safeParse("rtl\u202E").success).toBe(false);
  });
});

describe("boundedJsonObject", () => {
  const params = boundedJsonObject({ maxDepth: 8, maxBytes: 100 });
  it("accepts a small object and refuses deep or large ones", () => {
    expect(params.safeParse({ a: { b: [1, 2] } }).success).toBe(true);
    expect(params.safeParse(nested(5000)).success).toBe(false);
    expect(params.safeParse({ big: "x".repeat(200) }).error?.issues[0]?.message).toMatch(/at most 100 bytes/);
  });
});

describe("describeError", () => {
  it("never carries a failed query's SQL or parameters, only the database's own error", () => {
    const cause = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: "22021" });
    const failed = new Error("Failed query: select * from users where email = $1\nparams: secret@example.test", { cause });
    failed.name = "DrizzleQueryError";
    const line = describeError(failed);
    expect(line).not.toContain("select");
    expect(line).not.toContain("secret@example.test");
    expect(line).toContain("22021");
  });
});
