import type { z } from "zod";
import { clientAddressFromHeaders, installedClientAddressSecret } from "@/lib/api/client-address";
import { env } from "@/lib/env";
import { ApiError } from "@/lib/errors";
import { findUnsafeInput } from "@/lib/validation";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Reads the body as text, refusing more than `limit` bytes without buffering the excess. */
export async function readBodyText(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw ApiError.payloadTooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > limit) {
      await reader.cancel();
      throw ApiError.payloadTooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Validates one part of a request with its schema. Before the schema runs, text that cannot be stored (NUL,
 * unpaired surrogates) and nesting beyond the limit are refused, whatever the schema: a 422 naming the field.
 */
export function validateInput<T extends z.ZodType>(input: unknown, schema: T, where: "body" | "query" | "path"): z.output<T> {
  const unsafe = findUnsafeInput(input);
  if (unsafe) throw ApiError.validation([{ code: "custom", path: unsafe.path, message: unsafe.message, input: undefined }], where);
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw ApiError.validation(parsed.error.issues, where);
  return parsed.data;
}

/** Parses and validates a JSON body: 413 when too large, 400 when not JSON, 422 naming each bad field. */
export async function parseJsonBody<T extends z.ZodType>(request: Request, schema: T): Promise<z.output<T>> {
  return parseJsonText(await readBodyText(request, MAX_BODY_BYTES), schema);
}

/** Parses and validates a body already read as text: 400 when not JSON, 422 naming each bad field. */
export function parseJsonText<T extends z.ZodType>(text: string, schema: T): z.output<T> {
  let json: unknown;
  try {
    json = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    throw ApiError.invalidJson();
  }
  return validateInput(json, schema, "body");
}

/** Validates the query string; a repeated key keeps its first value. */
export function parseQuery<T extends z.ZodType>(request: Request, schema: T): z.output<T> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URL(request.url).searchParams) params[key] ??= value;
  return validateInput(params, schema, "query");
}

/**
 * The client address, for audit rows and sign-in throttling, or null when it cannot be known for sure (audit
 * rows then record none; sign-in throttling counts the attempt as from "unknown"). Under the server entry
 * (scripts/server.ts, which `npm start` runs) it is what the entry determined, passed in a header only that
 * process can write; without the entry, X-Forwarded-For as TRUSTED_PROXIES says, and nothing at all with
 * TRUSTED_PROXIES=0. The rules: lib/api/client-address.ts.
 */
export function clientIp(request: Request): string | null {
  return clientAddressFromHeaders(request.headers, { trustedProxies: env().TRUSTED_PROXIES, secret: installedClientAddressSecret() });
}

export function userAgent(request: Request): string | null {
  return request.headers.get("user-agent")?.slice(0, 512) ?? null;
}
