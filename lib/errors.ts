import type { z } from "zod";

/**
 * The two documented error shapes:
 * - "detail":   the Security Policies API, `{"detail": "..."}` or `{"detail": [{loc, msg, type}]}` for validation;
 * - "envelope": the Agent Policy API, `{"ok": false, "error": {code, message, details}}`.
 */
export type ApiFamily = "detail" | "envelope";

export type ErrorCode =
  | "invalid_json"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "validation_failed"
  | "rate_limited"
  | "internal_error"
  | "unavailable";

const STATUS: Record<ErrorCode, number> = {
  invalid_json: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  validation_failed: 422,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
};

export interface FieldProblem {
  /** Path to the bad field, e.g. ["body", "rules", 1, "config", "threshold"]. */
  loc: (string | number)[];
  msg: string;
  type: string;
}

export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = STATUS[code];
  }

  static unauthenticated() {
    return new ApiError("unauthenticated", "Not authenticated", [], { "WWW-Authenticate": "Bearer" });
  }
  static forbidden(message = "Not authorized") {
    return new ApiError("forbidden", message);
  }
  static notFound(message: string) {
    return new ApiError("not_found", message);
  }
  static conflict(message: string) {
    return new ApiError("conflict", message);
  }
  static invalidJson() {
    return new ApiError("invalid_json", "Malformed JSON in request body");
  }
  static payloadTooLarge(limitBytes: number) {
    // The rest of the body is never read: the connection cannot carry another request.
    return new ApiError("payload_too_large", `Request body exceeds the ${limitBytes}-byte limit`, [], { Connection: "close" });
  }
  static rateLimited(message: string, retryAfterSeconds: number) {
    return new ApiError("rate_limited", message, [], { "Retry-After": String(retryAfterSeconds) });
  }
  /** The client should retry, after `retryAfterSeconds`, on a new connection (the load balancer picks another instance). */
  static unavailable(message: string, retryAfterSeconds: number) {
    return new ApiError("unavailable", message, [], { "Retry-After": String(retryAfterSeconds), Connection: "close" });
  }
  /** The request needed the database, which cannot be reached right now (db/index.ts `isDatabaseUnreachable`). */
  static databaseUnreachable(retryAfterSeconds = 5) {
    return ApiError.unavailable("Palisade cannot reach its database right now. Retry after the delay in Retry-After.", retryAfterSeconds);
  }
  static internal() {
    return new ApiError("internal_error", "Internal server error");
  }

  /** A 422 naming each bad field. `where` is the part of the request: "body", "query" or "path". */
  static validation(issues: readonly z.core.$ZodIssue[], where: "body" | "query" | "path") {
    const fields = issues.map((issue) => ({
      loc: [where, ...issue.path.map((part) => (typeof part === "symbol" ? String(part) : part))],
      msg: issue.message,
      type: issue.code,
    }));
    return new ApiError("validation_failed", "Request validation failed", fields);
  }

  /**
   * The family's documented body, with the status and headers that go with it. The request's id goes in
   * X-Request-Id (lib/observability/requests.ts) and, in the envelope family, in `error.requestId` too; the detail
   * family's bodies stay exactly as documented, as clients match them whole.
   */
  toJson(family: ApiFamily, requestId?: string): { status: number; headers: Record<string, string>; body: unknown } {
    return { status: this.status, headers: this.headers, body: family === "detail" ? this.detailBody() : this.envelopeBody(requestId) };
  }

  toResponse(family: ApiFamily, requestId?: string): Response {
    const { status, headers, body } = this.toJson(family, requestId);
    return Response.json(body, { status, headers });
  }

  private detailBody() {
    if (this.code === "validation_failed") return { detail: this.fields };
    return { detail: this.message };
  }

  private envelopeBody(requestId: string | undefined) {
    return {
      ok: false,
      error: {
        code: this.code,
        message: this.message,
        details: this.fields.map((field) => ({ path: formatPath(field.loc.slice(1)), message: field.msg })),
        ...(requestId === undefined ? {} : { requestId }),
      },
    };
  }
}

/** ["rules", 1, "config", "threshold"] -> "rules[1].config.threshold" */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === "number") return `${out}[${part}]`;
    return out ? `${out}.${part}` : part;
  }, "");
}
