import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiError, formatPath } from "@/lib/errors";

describe("ApiError", () => {
  const issues = z.object({ rules: z.array(z.object({ config: z.object({ threshold: z.number().positive() }) })) }).safeParse({
    rules: [{ config: { threshold: 1 } }, { config: { threshold: -1 } }],
  }).error!.issues;

  it("renders a validation failure in the Security Policies shape", async () => {
    const response = ApiError.validation(issues, "body").toResponse("detail");
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      detail: [{ loc: ["body", "rules", 1, "config", "threshold"], msg: expect.any(String), type: "too_small" }],
    });
  });

  it("renders a validation failure in the Agent Policy envelope, with dotted paths", async () => {
    const response = ApiError.validation(issues, "body").toResponse("envelope");
    expect(await response.json()).toEqual({
      ok: false,
      error: {
        code: "validation_failed",
        message: "Request validation failed",
        details: [{ path: "rules[1].config.threshold", message: expect.any(String) }],
      },
    });
  });

  it("never exposes more than its own message", async () => {
    const response = ApiError.internal().toResponse("detail");
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ detail: "Internal server error" });
  });

  it("formats paths the way the Agent Policy API documents them", () => {
    expect(formatPath(["rules", 1, "config", "threshold"])).toBe("rules[1].config.threshold");
    expect(formatPath([])).toBe("");
    expect(formatPath(["name"])).toBe("name");
  });
});
