import "server-only";
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

interface Connection {
  target: DatabaseTarget;
  db: Db;
  close: () => Promise<void>;
  listen: (channel: string, onNotify: (payload: string) => void, onConnect: () => void) => Promise<void>;
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

async function migrateTarget(connection: Connection): Promise<void> {
  if (connection.target.engine === "pglite") {
    await migratePglite(connection.db as Parameters<typeof migratePglite>[0], { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  // Several instances may start at once: a session-level advisory lock on a dedicated single connection
  // makes them migrate one after another.
  const lockClient = postgres(connection.target.url, { max: 1, onnotice: () => {} });
  try {
    await lockClient`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migratePostgres(drizzlePostgres(lockClient), { migrationsFolder: MIGRATIONS_FOLDER });
    await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
  } finally {
    await lockClient.end({ timeout: 5 });
  }
}

function connect(target: DatabaseTarget): Connection {
  if (target.engine === "pglite") {
    let unlock = () => {};
    const { dataDir } = target;
    if (dataDir) {
      prepareDataDir(dataDir);
      unlock = lockDataDir(dataDir);
    }
    const client = new PGlite(target.dataDir);
    const db = drizzlePglite({ client, schema }) as unknown as Db;
    const close = () => client.close().finally(unlock);
    // In-process: notifications can never be missed, so onConnect runs once.
    const listen: Connection["listen"] = async (channel, onNotify, onConnect) => {
      await client.listen(channel, onNotify);
      onConnect();
    };
    const connection: Connection = { target, db, close, listen, ready: Promise.resolve() };
    connection.ready = client.waitReady.then(async () => {
      if (dataDir) tightenDataDir(dataDir);
      await migrateTarget(connection);
    });
    return connection;
  }
  const sql = postgres(target.url, {
    max: env().DATABASE_POOL_MAX,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
  });
  const db = drizzlePostgres({ client: sql, schema }) as unknown as Db;
  // postgres.js keeps one dedicated LISTEN connection and reconnects it; onConnect runs after every
  // (re)connection, which is when a subscriber must catch up on what it may have missed.
  const listen: Connection["listen"] = async (channel, onNotify, onConnect) => {
    await sql.listen(channel, onNotify, onConnect);
  };
  const connection: Connection = { target, db, listen, close: () => sql.end({ timeout: 5 }), ready: Promise.resolve() };
  connection.ready = migrateTarget(connection);
  return connection;
}

// Cached on globalThis: Next.js may load this module once per bundle (instrumentation, routes, pages),
// and two PGlite instances on one data directory would corrupt it.
const globalForDb = globalThis as unknown as { palisadeDb?: Connection };

function connection(): Connection {
  globalForDb.palisadeDb ??= connect(resolveDatabaseTarget());
  return globalForDb.palisadeDb;
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

/**
 * LISTENs on a channel: `onNotify` gets each payload; `onConnect` runs once listening starts and again
 * after every reconnection of the listening connection.
 */
export function listen(channel: string, onNotify: (payload: string) => void, onConnect: () => void): Promise<void> {
  return connection().listen(channel, onNotify, onConnect);
}

export async function closeDatabase(): Promise<void> {
  const current = globalForDb.palisadeDb;
  if (!current) return;
  globalForDb.palisadeDb = undefined;
  await current.close();
}

export { schema };
