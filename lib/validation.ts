import { z } from "zod";

// One wording for a missing field everywhere (API 422s and console forms), instead of zod's
// "Invalid input: expected string, received undefined". Imported by every parsing entry point.
z.config({
  customError: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined),
});
