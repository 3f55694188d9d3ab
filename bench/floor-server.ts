/**
 * The floor: the least an SSE fan-out can cost in Node.js. A bare node:http server that keeps each response
 * in a Set and writes one shared frame to all of them. bench/sse.ts measures it exactly like Palisade.
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
  response.writeHead(404).end();
});

server.listen(Number(process.env.PORT ?? 3901), () => process.send?.({ type: "listening" }));
