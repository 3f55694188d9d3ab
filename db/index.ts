import "server-only";
import { readFileSync } from "node:fs";
import { connect as connectSocket, Socket } from "node:net";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations, SQL } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { env } from "@/lib/env";
import { countingOperations } from "@/lib/observability/database-operations";
import { dropProcessSingleton, processSingleton } from "@/lib/singleton";
import { prepareDataDir, tightenDataDir } from "./data-dir";
import { lockDataDir } from "./pglite-lock";
import * as schema from "./schema";

type Schema = typeof schema;

/** One type for both engines, so query functions never care which one runs. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything a query can run on: the client or an open transaction. */
export type Executor = Db | Tx;

/**
 * Whether `executor` is an open transaction. Not `instanceof PgTransaction`: under Next's bundler the driver's
 * transaction class and the one a module imports can come from different copies of drizzle-orm.
 */
export function isTransaction(executor: Executor): executor is Tx {
  return typeof (executor as Partial<Tx>).rollback === "function";
}

/**
 * Runs a raw statement and returns its rows, typed. The engines' drivers shape `execute` results differently
 * (postgres.js an array of rows, PGlite `{ rows }`); this is the one place that knows.
 */
export async function queryRows<T>(executor: Executor, query: SQL): Promise<T[]> {
  const result: unknown = await executor.execute(query);
  if (Array.isArray(result)) return result as T[];
  return (result as { rows: T[] }).rows;
}

export type DatabaseTarget =
  | { engine: "postgres"; url: string }
  | { engine: "pglite"; dataDir: string | undefined /* undefined: in memory */ };

/** What the engine behind the client can do, for code that must behave differently (and only that). */
export interface EngineCapabilities {
  /**
   * Whether other processes (other Palisade instances) may use the same database. With PGlite only this process
   * can: there are no peers to count streams with or to hear from.
   */
  sharedAcrossProcesses: boolean;
}

type Listener = (channel: string, onNotify: (payload: string) => void, onConnect: () => void) => Promise<void>;

interface Connection {
  target: DatabaseTarget;
  capabilities: EngineCapabilities;
  db: Db;
  close: () => Promise<void>;
  listen: Listener;
  ready: Promise<void>;
}

const MIGRATIONS_FOLDER = path.join(process.cwd(), "db", "migrations");
// Any constant works; it only has to be the same in every instance that migrates.
const MIGRATION_LOCK_KEY = 7_221_094_551;

export function resolveDatabaseTarget(url = env().DATABASE_URL): DatabaseTarget {
  if (!url) return { engine: "pglite", dataDir: path.resolve("data", "pglite") };
  if (url.startsWith("pglite:")) {
    const dir = url.slice("pglite:".length);
    return { engine: "pglite", dataDir: dir === "memory:" || dir === "" ? undefined : path.resolve(dir) };
  }
  return { engine: "postgres", url };
}

/** A human-readable description of the target that never includes a password. */
export function describeDatabaseTarget(target: DatabaseTarget): string {
  if (target.engine === "pglite") return target.dataDir ? `embedded PGlite in ${target.dataDir}` : "embedded PGlite in memory";
  const parsed = new URL(target.url);
  return `PostgreSQL at ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

/** PGlite: in process, one process only. Notifications cannot be missed in process, so onConnect runs once. */
function connectPglite(target: Extract<DatabaseTarget, { engine: "pglite" }>): Connection {
  const { dataDir } = target;
  let unlock = () => {};
  if (dataDir) {
    prepareDataDir(dataDir);
    unlock = lockDataDir(dataDir);
  }
  // In memory, a copy of a migrated database's dump when one is named (the tests: initdb alone takes seconds).
  const template = dataDir ? undefined : env().PGLITE_MEMORY_TEMPLATE;
  const client = template ? new PGlite({ loadDataDir: new Blob([readFileSync(template)]) }) : new PGlite(dataDir);
  // One connection: statements take turns.
  const db = drizzlePglite({ client: countingOperations(client, ["query", "transaction"], 1), schema });
  const ready = client.waitReady.then(async () => {
    if (dataDir) tightenDataDir(dataDir);
    await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  });
  return {
    target,
    capabilities: { sharedAcrossProcesses: false },
    db,
    ready,
    close: () => client.close().finally(unlock),
    listen: async (channel, onNotify, onConnect) => {
      await client.listen(channel, onNotify);
      onConnect();
    },
  };
}

/** Seconds a request waits for a connection to a database that does not answer, before it fails (503). */
const CONNECT_TIMEOUT_SECONDS = 10;

/**
 * A postgres.js client as Palisade uses one: a bounded wait for a connection, no notices, and sockets that turn a
 * silent close into an error (see {@link databaseSocket}). Once `isRetired()`, it opens no connection any more.
 */
export function openPostgres(url: string, options: { max: number; idle_timeout?: number }, isRetired = () => false): postgres.Sql {
  // `socket` is documented (README, "Custom socket") but missing from the package's types.
  const settings = { ...options, connect_timeout: CONNECT_TIMEOUT_SECONDS, onnotice: () => {}, socket: databaseSocket(isRetired) };
  return postgres(url, settings);
}

/**
 * The sockets postgres.js connects through: its own, except that a connection the other end closes before sending a
 * byte fails with an error. postgres.js 3.4.9 retries such a close at once and for ever, and the query waiting for it
 * never settles, since connect_timeout restarts with each attempt (porsager/postgres#1193). It is what a proxy in
 * front of a stopped database does (cloud-sql-proxy, Supavisor, a TCP load balancer). As an error it fails the
 * waiting query, which answers 503, and the driver backs off before trying again. (PostgreSQL itself always
 * answers first, if only with an error such as 57P03.)
 */
function databaseSocket(isRetired: () => boolean) {
  let attempt = 0;
  return ({ host, port, path: socketPath }: { host: string[]; port: number[]; path?: string }): Socket => {
    // postgres.js rotates through the URL's hosts for its own sockets; so does this.
    const index = attempt++ % host.length;
    // A retired pool's connections come back on their own after end() (a reconnection it had scheduled) and would
    // then stay open for good: they get a socket that fails instead.
    const socket = isRetired() ? new Socket() : socketPath ? connectSocket(socketPath) : connectSocket(port[index] ?? port[0]!, host[index]!);
    if (isRetired()) process.nextTick(() => socket.destroy(Object.assign(new Error("This connection pool was retired"), { code: "CONNECTION_ENDED" })));
    // Read by postgres.js for TLS's server name (SNI), as on its own sockets.
    Object.assign(socket, { host: host[index], port: port[index] ?? port[0] });
    // To a socket it did not open, postgres.js writes its startup message at once, before the connection is made.
    // Were a refusal reported in the same turn, the socket would close with that write pending, and the connection
    // would never send anything again (porsager/postgres#1208). Until connected, failures are reported a turn later.
    let connected = false;
    socket.once("connect", () => (connected = true));
    const emit = socket.emit.bind(socket);
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (connected || (event !== "error" && event !== "close")) return emit(event, ...args);
      setImmediate(() => emit(event, ...args));
      return true;
    }) as Socket["emit"];
    socket.once("end", () => {
      if (socket.bytesRead === 0) socket.destroy(Object.assign(new Error("The database server closed the connection without answering"), { code: "CONNECTION_CLOSED" }));
    });
    return socket;
  };
}

/** A pool that saw the database go away is replaced this long after: soon enough that nothing waits long on it. */
const RENEW_AFTER_MS = 1000;
/** How long a retired pool's running statements may still take before their connections are destroyed. */
const RETIRED_POOL_GRACE_SECONDS = 5;
/** How often a new pool tries to LISTEN again while the database does not answer. */
const RELISTEN_EVERY_MS = 2000;

interface PoolGeneration {
  sql: postgres.Sql;
  db: Db;
  retired: boolean;
}

interface Subscription {
  channel: string;
  onNotify: (payload: string) => void;
  onConnect: () => void;
}

/**
 * PostgreSQL: a bounded pool, plus one dedicated LISTEN connection that postgres.js reconnects; onConnect runs
 * after every (re)connection, which is when a subscriber must catch up on what it may have missed.
 *
 * The pool is replaced, whole, once a statement failed because the database could not be reached. postgres.js 3.4.9
 * can leave a connection whose socket closed under a pending write unable to send anything again: every statement
 * later given to it waits for ever, until the process restarts (porsager/postgres#1154, #1208; no release fixes it).
 * Retiring the pool a second later gives the next statements fresh connections, and fails whatever still waits on it
 * after a grace period (CONNECTION_DESTROYED, so a 503); the new pool LISTENs on every channel again, retrying until the database
 * answers, and its subscribers catch up as after any reconnection.
 */
function connectPostgres(target: Extract<DatabaseTarget, { engine: "postgres" }>): Connection {
  const subscriptions = new Set<Subscription>();
  let renewal: NodeJS.Timeout | null = null;
  let closed = false;

  const open = (): PoolGeneration => {
    const sql = openPostgres(target.url, { max: env().DATABASE_POOL_MAX, idle_timeout: 30 }, () => generation.retired);
    const generation: PoolGeneration = {
      sql,
      db: drizzlePostgres({ client: countingOperations(reportingUnreachable(sql, () => renewSoon(generation)), ["unsafe", "begin"], env().DATABASE_POOL_MAX), schema }),
      retired: false,
    };
    return generation;
  };
  let current = open();

  const renewSoon = (failed: PoolGeneration) => {
    if (failed !== current || renewal || closed) return;
    renewal = setTimeout(() => {
      renewal = null;
      const retired = current;
      retired.retired = true;
      current = open();
      // New statements go to the new pool at once. Those the retired pool is running may still finish (a transaction
      // that began as the database came back), while one stuck on a connection that can never send fails after
      // the grace period (CONNECTION_DESTROYED, so a 503).
      void retired.sql.end({ timeout: RETIRED_POOL_GRACE_SECONDS });
      for (const subscription of subscriptions) void listenUntilAnswered(current, subscription);
    }, RENEW_AFTER_MS).unref();
  };

  const listenUntilAnswered = async (generation: PoolGeneration, { channel, onNotify, onConnect }: Subscription) => {
    while (generation === current && !closed) {
      try {
        await generation.sql.listen(channel, onNotify, onConnect);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, RELISTEN_EVERY_MS).unref());
      }
    }
  };

  return {
    target,
    capabilities: { sharedAcrossProcesses: true },
    get db() {
      return current.db;
    },
    ready: migratePostgresOnce(target.url),
    close: async () => {
      closed = true;
      if (renewal) clearTimeout(renewal);
      await current.sql.end({ timeout: 5 });
    },
    listen: async (channel, onNotify, onConnect) => {
      const subscription = { channel, onNotify, onConnect };
      subscriptions.add(subscription);
      try {
        await current.sql.listen(channel, onNotify, onConnect);
      } catch (error) {
        // The caller retries a listen that did not start.
        subscriptions.delete(subscription);
        throw error;
      }
    },
  };
}

/** The client, calling `onUnreachable` when one of its statements or transactions fails for want of the database. */
function reportingUnreachable(sql: postgres.Sql, onUnreachable: () => void): postgres.Sql {
  const report = (error: unknown) => {
    if (isDatabaseUnreachable(error)) onUnreachable();
  };
  return new Proxy(sql, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property !== "unsafe" && property !== "begin") return method.bind(target);
      return (...args: unknown[]) => {
        const operation = method.apply(target, args);
        // A postgres.js query is sent once first awaited: this awaits it a microtask after the caller has chosen
        // how (drizzle's `.values()`), so it changes nothing about what is sent.
        Promise.resolve(operation).then(undefined, report);
        return operation;
      };
    },
  });
}

/**
 * Several instances may start at once: a session-level advisory lock on a dedicated single connection makes
 * them migrate one after another.
 */
async function migratePostgresOnce(url: string): Promise<void> {
  const lockClient = openPostgres(url, { max: 1 });
  try {
    await lockClient`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migratePostgres(drizzlePostgres(lockClient), { migrationsFolder: MIGRATIONS_FOLDER });
    await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
  } finally {
    await lockClient.end({ timeout: 5 });
  }
}

const CONNECTION = "database connection";

// One per process: two PGlite instances on one data directory would corrupt it.
function connection(): Connection {
  return processSingleton(CONNECTION, () => {
    const target = resolveDatabaseTarget();
    return target.engine === "pglite" ? connectPglite(target) : connectPostgres(target);
  });
}

/** The database client. Entry points (server start, CLI, tests) await {@link databaseReady} before the first query. */
export function getDb(): Db {
  return connection().db;
}

/** Resolves once the database is reachable and migrated. Rejects if migrating failed. */
export function databaseReady(): Promise<void> {
  return connection().ready;
}

export function databaseTarget(): DatabaseTarget {
  return connection().target;
}

export function engineCapabilities(): EngineCapabilities {
  return connection().capabilities;
}

/**
 * LISTENs on a channel: `onNotify` gets each payload; `onConnect` runs once listening starts and again
 * after every reconnection of the listening connection.
 */
export function listen(channel: string, onNotify: (payload: string) => void, onConnect: () => void): Promise<void> {
  return connection().listen(channel, onNotify, onConnect);
}

/** What a prepared drizzle query offers: running it with its placeholders' values. */
interface PreparedQuery {
  execute(placeholderValues?: Record<string, unknown>): Promise<unknown>;
}

const preparedQueries = new WeakMap<Db, Map<string, PreparedQuery>>();

/**
 * A query that runs on (nearly) every request, prepared: its SQL text is built once per process, and PostgreSQL
 * parses and plans it once per pooled connection, where an ordinary drizzle query is sent unnamed, and parsed and
 * planned on every call. `name` names exactly one SQL text (a query with optional conditions gets a name per
 * combination); its parameters are `sql.placeholder`s. Not for transactions, and not for SQL whose text varies
 * with its input (lists of values): every distinct text would stay prepared on each connection.
 */
export function prepared<T extends PreparedQuery>(name: string, build: (db: Db, name: string) => T): T {
  const db = getDb();
  let queries = preparedQueries.get(db);
  if (!queries) preparedQueries.set(db, (queries = new Map()));
  let query = queries.get(name) as T | undefined;
  if (!query) queries.set(name, (query = build(db, name)));
  return query;
}

export async function closeDatabase(): Promise<void> {
  await dropProcessSingleton<Connection>(CONNECTION)?.close();
}

export { schema };

/**
 * Codes that mean the database could not be reached, not that a statement failed: the socket's (refused, reset,
 * unreachable, name lookup), postgres.js's own (CONNECTION_CLOSED, CONNECT_TIMEOUT, …), and PostgreSQL's
 * connection-exception class (08…), shutdown (57P01 admin, 57P02 crash), starting up or shutting down (57P03),
 * and too many connections (53300).
 */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/**
 * Whether a failure means the database cannot be reached right now (stopped, restarting, out of connections, or
 * the network between), so the request may succeed if retried, rather than that a statement was wrong. Drizzle
 * wraps the driver's error as the `cause`; a connection to a host with several addresses fails with an
 * AggregateError of each attempt.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    const { code } = current as Error & { code?: unknown };
    if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
    if (current instanceof AggregateError && current.errors.some(isDatabaseUnreachable)) return true;
  }
  return false;
}

/**
 * The name of the constraint a failed statement violated, or null. Drizzle wraps the driver's error; postgres.js
 * names it `constraint_name`, PGlite `constraint`.
 */
export function violatedConstraint(error: unknown): string | null {
  for (let current = error; current instanceof Error; current = current.cause) {
    const fields = current as Error & { code?: string; constraint_name?: string; constraint?: string };
    if (fields.code === "23505" || fields.code === "23514") return fields.constraint_name ?? fields.constraint ?? null;
  }
  return null;
}
