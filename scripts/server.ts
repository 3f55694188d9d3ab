/**
 * The production server entry: node:http in front of Next's request handler, in place of `next start`.
 * `npm start` (scripts/start.ts) runs it after building and migrating; a container can run it directly, from the
 * project directory, after `npm run build`:
 *
 *     node --import tsx/esm --import ./scripts/server-only-hook.mjs scripts/server.ts
 *
 * It exists so that what the app records as the client address does not depend on how it was started: every
 * request passes through {@link dispatch}, which determines the address from the socket (TRUSTED_PROXIES=0) or
 * from X-Forwarded-For as TRUSTED_PROXIES says, and hands it to the app in a header only this process can write
 * (lib/api/client-address.ts explains which headers are trusted and why). Run without it, `clientIp` trusts no
 * forwarded header unless TRUSTED_PROXIES says proxies write them: it fails closed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { installClientAddressSecret, vouchForClientAddress } from "@/lib/api/client-address";
import { env } from "@/lib/env";
import { describeError, logger } from "@/lib/log";
import { observeNodeRequest } from "@/lib/observability/requests";

// Next and React pick their production builds from NODE_ENV as they load; `next start` defaults it the same way.
Object.assign(process.env, { NODE_ENV: process.env.NODE_ENV || "production" });
const { default: next } = await import("next");

const { PORT: port, TRUSTED_PROXIES: trustedProxies, AGENT_DATA_PLANE } = env();
const LISTEN_BACKLOG = 4096;
const leanDataPlane = AGENT_DATA_PLANE === "lean";
const secret = installClientAddressSecret();

// Next builds request URLs from this host name and port (as `next start` does; both listen on every interface).
// `prepare()` loads the build and creates Next's server, which starts instrumentation.ts `register()` (the
// database, the event hub, the maintenance timer, the CLI control socket, and the SIGTERM/SIGINT handlers that
// end the event streams); every request waits for it to finish. All as under `next start`.
const app = next({ dev: false, dir: process.cwd(), hostname: "localhost", port });
const handle = app.getRequestHandler();

/**
 * Every request, in one place. The client address is settled first, then the request id, under which the request
 * is served, logged and counted (lib/observability/requests.ts). The agent data plane (an agent's stream and
 * heartbeats, and the console's live feed) is then served right here, on node:http, through the same endpoints
 * as the route handlers (lib/server/node-plane.ts); `AGENT_DATA_PLANE=route-handlers` sends it through Next
 * instead, to compare the two. Every other request goes to Next.
 */
function dispatch(request: IncomingMessage, response: ServerResponse): void {
  const clientAddress = vouchForClientAddress(request.headers, request.socket.remoteAddress, { trustedProxies, secret });
  observeNodeRequest(request, response, () => {
    const endpoint = leanPlane?.planeEndpointFor(request);
    if (leanPlane && endpoint) {
      leanPlane.servePlaneOverNode(endpoint, request, response, clientAddress).catch((error: unknown) => failed(response, error));
      return;
    }
    handle(request, response).catch((error: unknown) => failed(response, error));
  });
}

/** As `next start` does with an error that escaped the handler. */
function failed(response: ServerResponse, error: unknown): void {
  logger().error({ error: describeError(error) }, "failed to handle a request");
  if (!response.headersSent) {
    response.statusCode = 500;
    response.end("Internal Server Error");
  } else {
    response.destroy();
  }
}

// Node closes an idle keep-alive connection after 5 s by default. A client or load balancer that keeps it longer
// can send its next request just as the socket closes, and sees ECONNRESET (or a 502 from the balancer). An idle
// timeout longer than theirs (60 s for most balancers) leaves the closing to them; headers must be allowed longer.
const IDLE_KEEP_ALIVE_MS = 65_000;
const server = createServer({ keepAliveTimeout: IDLE_KEEP_ALIVE_MS, headersTimeout: IDLE_KEEP_ALIVE_MS + 1_000 }, dispatch);
server.on("error", (error) => {
  logger().fatal({ error: describeError(error) }, "failed to start the server");
  process.exit(1);
});

/**
 * Stops as `next start` does. lib/server/boot.ts answers the same signals by writing pending heartbeats and
 * ending every event stream; meanwhile this stops accepting connections and waits for the open responses (those
 * streams included) to end, closes Next, and exits with 128 + the signal's number. A repeated signal (a shell
 * sends Ctrl-C to the whole process group, and `npm start` forwards it too) changes nothing. The handlers are
 * registered before `prepare()`, so a signal that arrives while it runs stops the process too.
 */
let stopping = false;
const SHUTDOWN_GRACE_MS = 8000;
function stop(signal: "SIGINT" | "SIGTERM"): void {
  if (stopping) return;
  stopping = true;
  logger().info({ signal }, "stopping: no new connections; waiting for open responses to end");
  // close() ends the connections idle right now; one that goes idle later (its response finished) would otherwise be
  // held for the whole keep-alive timeout, and the process with it.
  const sweepIdle = setInterval(() => server.closeIdleConnections(), 250);
  // A connection whose response never ends (a client that cancelled a stream's body but kept the socket open, a
  // stalled download) would hold the process for ever: after the grace period it is cut. It ends before Docker's
  // and Kubernetes' 10 s and 30 s stop timeouts, so the exit stays clean.
  const cutStragglers = setTimeout(() => {
    logger().warn({ signal, graceMs: SHUTDOWN_GRACE_MS }, "closing the connections still open after the grace period");
    server.closeAllConnections();
  }, SHUTDOWN_GRACE_MS);
  server.close(() => {
    clearInterval(sweepIdle);
    clearTimeout(cutStragglers);
    void app
      .close()
      .catch((error: unknown) => logger().error({ error: describeError(error) }, "failed to close Next.js"))
      .finally(() => {
        logger().info({ signal }, "stopped");
        // Written before exiting: pino writes asynchronously.
        logger().flush(() => process.exit(signal === "SIGINT" ? 130 : 143));
      });
  });
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

await app.prepare();
// Loaded once Next has prepared: the data plane's modules expect the server runtime Next sets up. The process is
// booted (database, hub, signal handlers) before the first request, whichever path serves it.
const leanPlane = leanDataPlane ? await import("@/lib/server/node-plane") : null;
await (await import("@/lib/server/boot")).bootServer();
// A signal during `prepare()` has already closed the server: it must not start listening after all.
if (!stopping) {
  // A fleet reconnects at once after a restart: a connection the accept queue has no room for waits out a SYN
  // retransmission (1 s, then 3 s…). Node's default queue is 511; the kernel caps this at net.core.somaxconn.
  server.listen({ port, backlog: LISTEN_BACKLOG }, () => {
    const source = trustedProxies === 0 ? "the socket (TRUSTED_PROXIES=0)" : `X-Forwarded-For, ${trustedProxies} proxy hop(s) from the right (TRUSTED_PROXIES=${trustedProxies})`;
    logger().info({ port, trustedProxies, agentDataPlane: AGENT_DATA_PLANE }, `Palisade is listening on port ${port}; client addresses come from ${source}.`);
  });
}
