import type { z } from "zod";
import type { ZodOpenApiOperationObject, ZodOpenApiResponseObject, ZodOpenApiResponsesObject } from "zod-openapi";
import type { ApiFamily } from "@/lib/errors";
import { MAX_BODY_BYTES } from "@/lib/api/request";
import type { Role } from "@/lib/users/roles";
import { detailError, detailValidationError, envelopeError, okEnvelope } from "./schemas";

/**
 * Builders for the document's operations, so each route states only what is its own (summary, role, inputs, success
 * and particular errors) and the failures every route shares come from one place, in its family's shape.
 */

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503;

/** Why each status happens, as docs/api.md "Errors common to both families" says; a route may say it more precisely. */
const CAUSES: Record<ErrorStatus, string> = {
  400: "The body is not JSON (`invalid_json`).",
  401: "No credential, or a missing, malformed, unknown, revoked or expired token, or a disabled user (`unauthenticated`).",
  403: "The role is too low; a console session's write (or export) from another site; an address the organization's IP allowlist does not admit (`forbidden`). A refused write is audited.",
  404: "Not found, or another organization's (`not_found`).",
  409: "A conflict with the current state (`conflict`).",
  413: `The body is over ${MAX_BODY_BYTES} bytes (1 MiB); the connection is closed (\`payload_too_large\`).`,
  422: "A field fails validation, each bad field named; also text that cannot be stored (a NUL character, an unpaired UTF-16 surrogate) and bodies nested more than 32 levels deep (`validation_failed`).",
  429: "Too many at once; retry after `Retry-After` seconds (`rate_limited`).",
  500: "An unexpected fault: never a stack trace or a database message (`internal_error`).",
  503: "Unavailable for now (the database cannot be reached): retry after `Retry-After` seconds, on a new connection (`unavailable`).",
};

const retryAfter = { "Retry-After": { description: "Seconds to wait before retrying.", required: true, schema: { type: "integer" as const, minimum: 1 } } };
const HEADERS: Partial<Record<ErrorStatus, ZodOpenApiResponseObject["headers"]>> = {
  401: { "WWW-Authenticate": { description: "`Bearer`, when a credential was expected and is missing or refused.", schema: { type: "string" } } },
  413: { Connection: { description: "`close`: the rest of the body is never read.", required: true, schema: { type: "string", const: "close" } } },
  429: retryAfter,
  503: { ...retryAfter, Connection: { description: "`close`, so the load balancer picks another instance.", required: true, schema: { type: "string", const: "close" } } },
};

function errorSchema(family: ApiFamily, status: ErrorStatus) {
  if (family === "envelope") return envelopeError;
  return status === 422 ? detailValidationError : detailError;
}

/** One error response in the family's shape; `cause` replaces the common wording. */
export function errorResponse(family: ApiFamily, status: ErrorStatus, cause = CAUSES[status]): ZodOpenApiResponseObject {
  return { description: cause, headers: HEADERS[status], content: { "application/json": { schema: errorSchema(family, status) } } };
}

/** A JSON success response. */
export function jsonResponse(schema: z.ZodType, description: string, example?: unknown): ZodOpenApiResponseObject {
  return { description, content: { "application/json": example === undefined ? { schema } : { schema, example } } };
}

/** A success in the Agent Policy API's envelope, `{"ok": true, "data": ...}`. */
export function okResponse(data: z.ZodType, description: string, example?: unknown): ZodOpenApiResponseObject {
  return jsonResponse(okEnvelope(data), description, example === undefined ? undefined : { ok: true, data: example });
}

/** What a route handler for console users (`userRoute`) declares; see lib/api/route.ts. */
export interface UserOperation {
  operationId: string;
  tag: string;
  family: ApiFamily;
  role: Role;
  summary: string;
  /** CommonMark, in the subset the reference page renders: paragraphs, `- ` lists and `code`. */
  description?: string;
  path?: z.ZodObject;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; required?: boolean; example?: unknown };
  responses: ZodOpenApiResponsesObject;
  /** Errors this route adds to the shared ones, each with its own cause when it has one. */
  errors?: Partial<Record<ErrorStatus, string | true>>;
}

/**
 * Every console user's route answers 401, 403, 500 and 503; one that reads a body also 400, 413 and 422; one with a
 * query string or path parameters 422 (text that cannot be stored, or a value that is not one).
 */
export function userOperation(operation: UserOperation): ZodOpenApiOperationObject {
  const shared: Partial<Record<ErrorStatus, true>> = { 401: true, 403: true, 500: true, 503: true };
  if (operation.body) Object.assign(shared, { 400: true, 413: true, 422: true });
  if (operation.query || operation.path) shared[422] = true;
  const errors = { ...shared, ...operation.errors };
  const roleWords = operation.role === "admin" ? "Admin." : "Viewer (any role).";
  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    description: operation.description ? `${roleWords} ${operation.description}` : roleWords,
    // OpenAPI 3.1 lets a non-OAuth scheme list the roles it needs; an empty list means any role.
    security: [{ apiToken: operation.role === "admin" ? ["admin"] : [] }, { consoleSession: operation.role === "admin" ? ["admin"] : [] }],
    requestParams: { ...(operation.path && { path: operation.path }), ...(operation.query && { query: operation.query }) },
    requestBody: operation.body && {
      required: operation.body.required ?? true,
      content: { "application/json": operation.body.example === undefined ? { schema: operation.body.schema } : { schema: operation.body.schema, example: operation.body.example } },
    },
    responses: { ...operation.responses, ...errorResponses(operation.family, errors) },
  };
}

/** The error responses named, in status order. */
export function errorResponses(family: ApiFamily, errors: Partial<Record<ErrorStatus, string | true>>): ZodOpenApiResponsesObject {
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, cause] of Object.entries(errors).sort(([a], [b]) => Number(a) - Number(b))) {
    responses[status as `${ErrorStatus}`] = errorResponse(family, Number(status) as ErrorStatus, cause === true ? undefined : cause);
  }
  return responses;
}
