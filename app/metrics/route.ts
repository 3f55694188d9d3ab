import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "@/lib/env";
import { scrape } from "@/lib/observability/metrics";
import { observeRequest } from "@/lib/observability/requests";

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/** Compares digests of equal length, in constant time: the time taken says nothing about the token. */
function isMetricsToken(authorization: string | null, token: string): boolean {
  const given = /^Bearer (.+)$/i.exec(authorization ?? "")?.[1] ?? "";
  return timingSafeEqual(sha256(given), sha256(token));
}

const text = (body: string, status: number, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...headers } });

/**
 * `GET /metrics`: this instance's metrics in the Prometheus text format, for `Authorization: Bearer <METRICS_TOKEN>`.
 * Without METRICS_TOKEN the endpoint does not exist (404); a missing or wrong token answers 401.
 */
export function GET(request: Request): Promise<Response> {
  return observeRequest(request, async () => {
    const token = env().METRICS_TOKEN;
    if (!token) return text("Not found\n", 404);
    if (!isMetricsToken(request.headers.get("authorization"), token)) return text("Unauthorized\n", 401, { "WWW-Authenticate": 'Bearer realm="metrics"' });
    const { contentType, text: body } = await scrape();
    return text(body, 200, { "Content-Type": contentType });
  });
}
