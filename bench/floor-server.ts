/**
 * The floor: the least an SSE fan-out can cost in Node.js. A bare node:http server that keeps each response
 * in a Set and writes one shared frame to all of them, and answers heartbeats without any work. bench/sse.ts
 * measures it exactly like Palisade.
 */
import http from "node:http";

const clients = new Set<http.ServerResponse>();
let nextId = 0;

const server = http.createServer((request, response) => {
  if (request.method === "GET" && request.url === "/stream") {
    response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no" });
    response.write(`retry: 3000\n\nid: ${nextId}\nevent: policy\ndata: {"policyVersion":null,"rules":[]}\n\n`);
    clients.add(response);
    request.on("close", () => clients.delete(response));
    return;
  }
  if (request.method === "POST" && request.url === "/publish") {
    request.resume();
    request.on("end", () => {
      nextId++;
      const frame = Buffer.from(
        `id: ${nextId}\nevent: policy_version\ndata: {"policyVersion":"v${nextId}","rules":[{"type":"block_ip","config":{"trigger":"brute_force","threshold":50,"duration":"24h","scope":"host"},"enabled":true}]}\n\n`,
      );
      for (const client of clients) client.write(frame);
      response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ broadcastedTo: clients.size }));
    });
    return;
  }
  if (request.method === "POST" && request.url === "/heartbeat") {
    // The least a heartbeat can cost: read a small JSON body, answer a small JSON body.
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const { policyVersion } = JSON.parse(body) as { policyVersion: string | null };
      response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ ok: true, data: { latestVersion: policyVersion, outdated: false } }));
    });
    return;
  }
  response.writeHead(404).end();
});

// The same accept queue as Palisade's server entry (scripts/server.ts), so a reconnect storm meets the same kernel.
server.listen({ port: Number(process.env.PORT ?? 3901), backlog: 4096 }, () => process.send?.({ type: "listening" }));
