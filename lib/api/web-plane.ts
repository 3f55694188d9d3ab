import "server-only";
import type { PlaneEndpoint } from "@/lib/agents/data-plane";
import { env } from "@/lib/env";
import { SSE_HEADERS } from "@/lib/events/sse";
import { WebStreamSink } from "@/lib/events/stream-sink";
import { observeRequest } from "@/lib/observability/requests";
import { clientIp, readBodyText } from "./request";

/** Serves a data-plane endpoint as a route handler: a web Request in, a web Response out. */
export function servePlaneOverFetch(endpoint: PlaneEndpoint): (request: Request) => Promise<Response> {
  return (request) =>
    observeRequest(request, async () => {
      let sink: WebStreamSink | null = null;
      const result = await endpoint(
        {
          method: request.method,
          url: request.url,
          headers: request.headers,
          signal: request.signal,
          clientAddress: clientIp(request),
          readBody: (limit) => readBodyText(request, limit),
        },
        (onClose) => (sink = new WebStreamSink(env().SSE_MAX_BUFFER_BYTES, onClose)),
      );
      if (result.kind === "stream" && sink) return new Response((sink as WebStreamSink).body, { headers: SSE_HEADERS });
      if (result.kind === "stream") throw new Error("a stream endpoint answered without opening its sink");
      return Response.json(result.body, { status: result.status, headers: result.headers });
    });
}
