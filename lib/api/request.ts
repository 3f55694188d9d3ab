import type { z } from "zod";
import "@/lib/validation";
import { env } from "@/lib/env";
import { ApiError } from "@/lib/errors";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Reads the body as text, refusing more than `limit` bytes without buffering the excess. */
async function readBodyText(request: Request, limit: number): Promise<string> {
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

/** Parses and validates a JSON body: 413 when too large, 400 when not JSON, 422 naming each bad field. */
export async function parseJsonBody<T extends z.ZodType>(request: Request, schema: T): Promise<z.output<T>> {
  const text = await readBodyText(request, MAX_BODY_BYTES);
  let json: unknown;
  try {
    json = text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    throw ApiError.invalidJson();
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw ApiError.validation(parsed.error.issues, "body");
  return parsed.data;
}

/** Validates the query string; a repeated key keeps its first value. */
export function parseQuery<T extends z.ZodType>(request: Request, schema: T): z.output<T> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URL(request.url).searchParams) params[key] ??= value;
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw ApiError.validation(parsed.error.issues, "query");
  return parsed.data;
}

/**
 * The client address, for audit rows and sign-in throttling. Each of the TRUSTED_PROXIES proxies appends the
 * address it saw to X-Forwarded-For, so the client is that many entries from the right; entries further left
 * were written by the client and are ignored. With no proxy, `npm start` sets the header from the socket.
 */
export function clientIp(request: Request): string | null {
  const entries = (request.headers.get("x-forwarded-for") ?? "").split(",").map((entry) => entry.trim());
  const hops = Math.max(env().TRUSTED_PROXIES, 1);
  return entries.at(-hops) || entries[0] || null;
}

export function userAgent(request: Request): string | null {
  return request.headers.get("user-agent")?.slice(0, 512) ?? null;
}
