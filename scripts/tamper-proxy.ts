/**
 * A man in the middle, for demonstrations and tests: an HTTP proxy in front of a Palisade server that passes every
 * request through and rewrites the policy in each agent stream frame on the way back (by default, it disables the
 * first rule: what an attacker who wants an endpoint unprotected would do). The signature is left as it was, so a
 * verifying agent refuses the frame. Never run it anywhere but in front of a test server.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

type Json = Record<string, unknown>;

/** Disables the first rule of any frame that carries rules; other frames pass unchanged. */
export function disableFirstRule(data: Json): Json {
  const rules = data.rules;
  if (!Array.isArray(rules) || rules.length === 0) return data;
  return { ...data, rules: [{ ...(rules[0] as Json), enabled: false }, ...rules.slice(1)] };
}

/** Rewrites the `data:` line of each complete SSE frame in `text`; returns the rewritten frames and what is left. */
function rewriteFrames(text: string, tamper: (data: Json) => Json): { out: string; rest: string } {
  const frames = text.split("\n\n");
  const rest = frames.pop() ?? "";
  const out = frames
    .map((frame) =>
      frame
        .split("\n")
        .map((line) => (line.startsWith("data: ") ? `data: ${JSON.stringify(tamper(JSON.parse(line.slice(6)) as Json))}` : line))
        .join("\n"),
    )
    .map((frame) => `${frame}\n\n`)
    .join("");
  return { out, rest };
}

export interface TamperingProxy {
  url: string;
  /** Frames rewritten so far. */
  tampered: () => number;
  close: () => Promise<void>;
}

export async function startTamperingProxy(target: string, { tamper = disableFirstRule, port = 0 }: { tamper?: (data: Json) => Json; port?: number } = {}): Promise<TamperingProxy> {
  const upstream = new URL(target);
  let count = 0;
  const counting = (data: Json) => {
    const changed = tamper(data);
    if (changed !== data) count++;
    return changed;
  };
  const server = createServer((incoming, outgoing) => {
    const headers: IncomingHttpHeaders = { ...incoming.headers, host: upstream.host };
    const forwarded = httpRequest({ hostname: upstream.hostname, port: upstream.port, path: incoming.url, method: incoming.method, headers }, (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      if (!String(response.headers["content-type"]).startsWith("text/event-stream")) return void response.pipe(outgoing);
      let pending = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        const { out, rest } = rewriteFrames(pending + chunk, counting);
        pending = rest;
        if (out) outgoing.write(out);
      });
      response.on("end", () => outgoing.end(pending));
    });
    forwarded.on("error", () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    // The client left (the response, not the request, closes then): stop reading upstream.
    outgoing.on("close", () => forwarded.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tampered: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
