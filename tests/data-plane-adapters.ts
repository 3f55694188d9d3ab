import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import * as heartbeatRoute from "@/app/api/agents/heartbeat/route";
import * as streamRoute from "@/app/api/agents/stream/route";
import * as eventsRoute from "@/app/api/events/route";
import { vouchForClientAddress } from "@/lib/api/client-address";
import { env } from "@/lib/env";
import { observeNodeRequest } from "@/lib/observability/requests";
import { planeEndpointFor, servePlaneOverNode } from "@/lib/server/node-plane";

/**
 * The two ways the agent data plane (lib/agents/data-plane.ts) is served, behind one interface, so that one
 * behaviour suite (tests/integration/data-plane.test.ts) runs against both:
 * - "route handler": the app/api route modules, called in process with a web Request, as Next calls them;
 * - "node:http (lean)": the server entry's lean path, on a real node:http server on an ephemeral port, reached
 *   with a real fetch, so status lines, headers and bytes cross a socket.
 */
export interface PlaneAdapter {
  readonly name: "route handler" | "node:http (lean)";
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Sends a GET and never reads its response, as a client that has stopped reading. */
  stall(path: string, headers: Record<string, string>): Promise<StalledClient>;
  /** Frees what the adapter holds (the lean server and its connections). */
  close(): Promise<void>;
}

export interface StalledClient {
  /** Starts reading again, and resolves with the bytes read once the server has ended the response. */
  readToEnd(timeoutMs?: number): Promise<number>;
  /** Disconnects. */
  close(): void;
}

type WebHandler = (request: Request) => Promise<Response>;

const ROUTES: Record<string, WebHandler> = {
  "GET /api/agents/stream": streamRoute.GET,
  "POST /api/agents/heartbeat": heartbeatRoute.POST,
  "GET /api/events": eventsRoute.GET,
};

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The route modules, called as Next.js calls them: a Request built from what the client sent. */
export function routeHandlerAdapter(): PlaneAdapter {
  const fetchRoute = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const request = new Request(`http://localhost${path}`, init);
    // Next builds the Request from the incoming message, whose headers carry the length a client declared.
    if (typeof init.body === "string" && !request.headers.has("content-length")) request.headers.set("content-length", String(Buffer.byteLength(init.body)));
    const handler = ROUTES[`${request.method} ${path.split("?")[0]}`];
    return handler ? handler(request) : new Response("Not found", { status: 404 });
  };
  return {
    name: "route handler",
    fetch: fetchRoute,
    async stall(path, headers) {
      const controller = new AbortController();
      const response = await fetchRoute(path, { headers, signal: controller.signal });
      return {
        async readToEnd(timeoutMs = 10_000) {
          const reader = response.body!.getReader();
          let bytes = 0;
          const drain = (async () => {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) return bytes;
              bytes += value.byteLength;
            }
          })();
          return withTimeout(drain, timeoutMs, "stalled route-handler stream");
        },
        close: () => {
          controller.abort();
          void response.body?.cancel().catch(() => {});
        },
      };
    },
    close: async () => {},
  };
}

/**
 * The server entry's lean path: what scripts/server.ts's `dispatch` does for a data-plane path (the client address
 * settled from the socket, the request id and its observation, then `planeEndpointFor` and `servePlaneOverNode`),
 * and 404 for anything else, where the entry would hand the request to Next.
 */
export function leanAdapter(): PlaneAdapter {
  const secret = randomBytes(16).toString("hex");
  let server: Server | null = null;
  let listening: Promise<string> | null = null;
  const rawSockets = new Set<Socket>();

  const dispatch = (request: IncomingMessage, response: ServerResponse): void => {
    const clientAddress = vouchForClientAddress(request.headers, request.socket.remoteAddress, { trustedProxies: env().TRUSTED_PROXIES, secret });
    observeNodeRequest(request, response, () => {
      const endpoint = planeEndpointFor(request);
      if (!endpoint) {
        response.writeHead(404, { "Content-Type": "text/plain" }).end("Not found");
        return;
      }
      servePlaneOverNode(endpoint, request, response, clientAddress).catch((error: unknown) => {
        // As the entry's `failed`: a 500 when nothing was sent yet, else the connection is cut.
        console.error(`Failed to handle request for ${request.url}`, error);
        if (!response.headersSent) response.writeHead(500).end("Internal Server Error");
        else response.destroy();
      });
    });
  };

  /** The base URL, once the server listens on 127.0.0.1 and an ephemeral port. */
  const origin = (): Promise<string> =>
    (listening ??= new Promise((resolve, reject) => {
      server = createServer(dispatch);
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`));
    }));

  return {
    name: "node:http (lean)",
    fetch: async (path, init) => fetch(`${await origin()}${path}`, init),
    async stall(path, headers) {
      const { hostname, port } = new URL(await origin());
      const socket = connect({ host: hostname, port: Number(port) });
      rawSockets.add(socket);
      socket.once("close", () => rawSockets.delete(socket));
      socket.on("error", () => {});
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      });
      // Never read: what arrives stays in the kernel's buffers, which fill, and then the server's.
      socket.pause();
      const head = Object.entries({ host: `${hostname}:${port}`, ...headers }).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.write(`GET ${path} HTTP/1.1\r\n${head.join("")}\r\n`);
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      return {
        async readToEnd(timeoutMs = 10_000) {
          let bytes = 0;
          socket.on("data", (chunk: Buffer) => (bytes += chunk.byteLength));
          socket.resume();
          await withTimeout(closed, timeoutMs, "stalled node:http stream");
          return bytes;
        },
        close: () => socket.destroy(),
      };
    },
    async close() {
      for (const socket of rawSockets) socket.destroy();
      const running = server as Server | null;
      if (!running) return;
      running.closeAllConnections();
      await new Promise<void>((resolve) => running.close(() => resolve()));
    },
  };
}
