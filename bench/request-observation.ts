/**
 * `npx tsx bench/request-observation.ts [--rounds 5] [--seconds 5]`
 *
 * What the server entry's per-request observation costs (lib/observability/requests.ts: the request id, its context,
 * the request metrics, the log-level check; and the actor noted as the data plane does): a node:http server answering
 * a heartbeat-sized JSON response, without and then with it, in alternating rounds of wrk (-t2 -c50), on the path
 * of a heartbeat, which logs at debug. Prints the median requests per second of each and the difference per request.
 * It never passes or fails on time.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { execFile } from "node:child_process";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs, promisify } from "node:util";
import { noteActor } from "@/lib/observability/request-context";
import { observeNodeRequest } from "@/lib/observability/requests";

const { values: options } = parseArgs({ options: { rounds: { type: "string", default: "5" }, seconds: { type: "string", default: "5" } } });

// Next's own AsyncLocalStorage is active in the real server, whatever this adds: active in both variants here.
const nextStorage = new AsyncLocalStorage<number>();
const body = JSON.stringify({ ok: true, data: { agentId: "agent", latestVersion: "v1", outdated: false, serverTime: new Date().toISOString() } });

function answer(response: ServerResponse): void {
  response.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  response.end(body);
}

async function requestsPerSecond(observed: boolean): Promise<number> {
  const server = createServer((request, response) =>
    nextStorage.run(1, () => {
      if (!observed) return answer(response);
      observeNodeRequest(request, response, () => {
        noteActor("org", "agent");
        answer(response);
      });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  // Run asynchronously: this process's event loop serves the requests meanwhile.
  const { stdout } = await promisify(execFile)("wrk", ["-t2", "-c50", `-d${options.seconds}s`, `http://127.0.0.1:${port}/api/agents/heartbeat`]);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)![1]);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const plain: number[] = [];
const observed: number[] = [];
for (let round = 0; round < Number(options.rounds); round++) {
  plain.push(await requestsPerSecond(false));
  observed.push(await requestsPerSecond(true));
}
const [without, withIt] = [median(plain), median(observed)];
console.log(`without observation: ${Math.round(without)} requests/s (${(1e6 / without).toFixed(1)} µs each)`);
console.log(`with observation:    ${Math.round(withIt)} requests/s (${(1e6 / withIt).toFixed(1)} µs each)`);
console.log(`cost per request:    ${(1e6 / withIt - 1e6 / without).toFixed(1)} µs`);
