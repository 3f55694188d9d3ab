/**
 * `npm run bench:api -- [--database postgres://…] [--rounds 2] [--seconds 10] [--connections 50] [--policies 200]
 *                       [--port 3970] [--cpu-prof DIR]`
 *
 * The API request path on a production build (`npm start`'s server entry), with wrk on the same machine: requests
 * per second on each route, and each read route's share of `GET /api/health` (one `SELECT 1`) in the same round,
 * which is the floor of Palisade's own path. With `--database` it also counts the SQL statements each request sends,
 * through a proxy in front of PostgreSQL that counts the statements in the wire protocol (PGlite runs the same code).
 *
 * It prints figures and writes a markdown table to bench/results/; it never passes or fails on time.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildIfNeeded } from "../scripts/build";
import { base, cli, exec, log, productionEnv, startPalisade, stop, writeReport, wrkFigures } from "./servers";

const { values: options } = parseArgs({
  options: {
    database: { type: "string" },
    rounds: { type: "string", default: "2" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    policies: { type: "string", default: "200" },
    port: { type: "string", default: "3970" },
    "cpu-prof": { type: "string" },
  },
});
const ROUNDS = Number(options.rounds);
const SECONDS = Number(options.seconds);
const CONNECTIONS = Number(options.connections);
const POLICIES = Number(options.policies);
const PORT = Number(options.port);
const SAME_ROW = "pol-session-recording";

interface Route {
  label: string;
  path: string;
  /** A read, measured against the health route's rate. */
  read: boolean;
  method?: string;
  /** The Bearer token to send, if any. */
  token?: string;
  /** Rotate over these paths instead of `path`. */
  paths?: string[];
}

/**
 * Counts the statements Palisade sends: a TCP proxy in front of PostgreSQL that reads the client's side of the
 * wire protocol and counts Execute ('E') and simple Query ('Q') messages. The first message of a connection
 * (the startup packet, or an SSL request) has no type byte.
 */
async function statementCounter(target: URL): Promise<{ url: string; count: () => number; close: () => void }> {
  let statements = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    let pending = Buffer.alloc(0);
    let started = false;
    client.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const headerLength = started ? 5 : 4;
        if (pending.length < headerLength) break;
        const length = started ? pending.readInt32BE(1) + 1 : pending.readInt32BE(0);
        if (pending.length < length) break;
        if (started && (pending[0] === 0x45 || pending[0] === 0x51)) statements++;
        // An SSL request (code 80877103) is answered before the real startup packet, which is untyped too.
        if (started || pending.readInt32BE(4) !== 80_877_103) started = true;
        pending = pending.subarray(length);
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxied = new URL(target);
  proxied.hostname = "127.0.0.1";
  proxied.port = String((server.address() as net.AddressInfo).port);
  return { url: proxied.toString(), count: () => statements, close: () => server.close() };
}

async function send(route: Route, index: number): Promise<void> {
  const paths = route.paths ?? [route.path];
  const response = await fetch(`${base(PORT)}${paths[index % paths.length]}`, {
    method: route.method ?? "GET",
    headers: route.token ? { Authorization: `Bearer ${route.token}` } : {},
  });
  if (!response.ok) throw new Error(`${route.method ?? "GET"} ${route.path}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

/** Statements per request: requests one at a time, the proxy's count before and after. */
async function statementsPerRequest(route: Route, counter: { count: () => number }): Promise<number> {
  const requests = 100;
  await send(route, 0); // the first request of a route may fill a process-level cache
  const before = counter.count();
  for (let i = 1; i <= requests; i++) await send(route, i);
  return (counter.count() - before) / requests;
}

async function throughput(route: Route, pathsFile: string | null): Promise<{ perSecond: number; refused: number }> {
  const { stdout } = await exec("wrk", ["-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "-s", path.join(import.meta.dirname, "api.lua"), `${base(PORT)}${route.path}`], {
    env: {
      ...process.env,
      METHOD: route.method ?? "GET",
      ...(route.token ? { TOKEN: route.token } : {}),
      ...(pathsFile ? { PATHS_FILE: pathsFile } : {}),
    },
  });
  return wrkFigures(stdout);
}

async function main(): Promise<void> {
  buildIfNeeded();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "palisade-bench-api-"));
  const env = productionEnv(options.database ?? `pglite:${dataDir}/pglite`);
  const database = options.database ? "PostgreSQL" : "embedded PGlite";
  log(`API request path, database ${database}: ${ROUNDS} rounds of wrk -t2 -c${CONNECTIONS} -d${SECONDS}s per route`);

  let server = await startPalisade(env, PORT);
  // Reads run in an organization with the seed's policies; the toggled policies live in an organization of their own,
  // so they do not grow the list that is read.
  const admin = async (email: string, org: string) => {
    await cli(env, "user", "create", "--email", email, "--password", "bench password 123", "--role", "admin", "--org", org);
    return cli(env, "token", "create", "--email", email, "--name", "bench");
  };
  const token = await admin("bench@example.test", "Bench");
  const togglesToken = await admin("bench-toggles@example.test", "Bench toggles");
  const policyPaths: string[] = [];
  for (let i = 0; i < POLICIES; i++) {
    const response = await fetch(`${base(PORT)}/api/policies`, {
      method: "POST",
      headers: { Authorization: `Bearer ${togglesToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ id: `bench-${i}`, name: `Bench ${i}`, description: "A policy the benchmark toggles", type: "access", enabled: true, rules: ["bench"] }),
    });
    if (response.status !== 201) throw new Error(`creating a policy: ${response.status} ${await response.text()}`);
    policyPaths.push(`/api/policies/bench-${i}`);
  }
  const pathsFile = path.join(dataDir, "policy-paths");
  writeFileSync(pathsFile, policyPaths.join("\n"));

  const routes: Route[] = [
    { label: "`GET /api/health` (one `SELECT 1`)", path: "/api/health", read: true },
    { label: "`GET /api/policies`", path: "/api/policies", read: true, token },
    { label: "`GET /api/audit-logs?limit=20`", path: "/api/audit-logs?limit=20", read: true, token },
    { label: `\`PATCH /api/policies/{id}\` over ${POLICIES} distinct policies`, path: policyPaths[0]!, paths: policyPaths, read: false, method: "PATCH", token: togglesToken },
    { label: `\`PATCH /api/policies/${SAME_ROW}\` (${CONNECTIONS} concurrent on one row)`, path: `/api/policies/${SAME_ROW}`, read: false, method: "PATCH", token },
    { label: "`GET /login`", path: "/login", read: true },
  ];

  const statements = new Map<Route, number>();
  if (options.database) {
    await stop(server);
    const counter = await statementCounter(new URL(options.database));
    server = await startPalisade({ ...env, DATABASE_URL: counter.url }, PORT);
    for (const route of routes) statements.set(route, await statementsPerRequest(route, counter));
    await stop(server);
    counter.close();
    server = await startPalisade(env, PORT, options["cpu-prof"]);
  }

  const rounds: Map<Route, number>[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const rates = new Map<Route, number>();
    for (const route of routes) {
      const { perSecond, refused } = await throughput(route, route.paths ? pathsFile : null);
      if (refused > 0) log(`${route.path}: ${refused} answers were not 2xx`);
      rates.set(route, perSecond);
      log(`round ${round}: ${route.method ?? "GET"} ${route.path}: ${perSecond.toFixed(0)}/s`);
    }
    rounds.push(rates);
  }
  await stop(server);
  rmSync(dataDir, { recursive: true, force: true });

  const health = routes[0]!;
  const range = (values: number[]) => {
    const [low, high] = [Math.min(...values), Math.max(...values)];
    return low === high ? `${low}` : `${low}–${high}`;
  };
  const rows = routes.map((route) => {
    const rates = rounds.map((rates) => Math.round(rates.get(route)!));
    const shares = rounds.map((rates) => Math.round((rates.get(route)! / rates.get(health)!) * 100));
    const counted = statements.get(route);
    return `| ${route.label} | ${range(rates)} | ${route.read && route !== health ? `${range(shares)}%` : ""} | ${counted === undefined ? "" : counted.toFixed(1)} |`;
  });
  const report = [
    `# API request path, ${new Date().toISOString()}`,
    "",
    `${os.cpus().length} cores; Node ${process.version}; database: ${database}; wrk -t2 -c${CONNECTIONS} -d${SECONDS}s on the same machine, ${ROUNDS} rounds (range); production build behind \`npm start\`'s server entry.`,
    "",
    "| route | requests/s | share of health, same round | SQL statements per request |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    `Reproduce: \`npm run bench:api -- ${process.argv.slice(2).join(" ")}\``,
    "",
  ].join("\n");
  writeReport(`api-${options.database ? "postgres" : "pglite"}`, report);
  process.exit(0);
}

await main();
