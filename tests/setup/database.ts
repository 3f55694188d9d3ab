/**
 * Gives every test file a fresh, migrated database: in-memory PGlite, or a new PostgreSQL database created on
 * TEST_DATABASE_URL's server and dropped afterwards; each a copy of the template database-templates.ts migrated.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, inject } from "vitest";

process.env.AUTH_SECRET ??= randomBytes(32).toString("base64url");

/** The hub's timers would otherwise reopen the database after it is closed (and, on PostgreSQL, dropped). */
async function closeEverything(): Promise<void> {
  const { stopEventDelivery } = await import("@/lib/events/shutdown");
  const { closeDatabase } = await import("@/db");
  await stopEventDelivery();
  await closeDatabase();
}

if (process.env.PALISADE_TEST_ENGINE === "postgres") {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error("TEST_DATABASE_URL is required for the postgres project");
  const name = `palisade_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${inject("databaseTemplate")}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  process.env.DATABASE_URL = url.toString();
  afterAll(async () => {
    await closeEverything();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
} else {
  process.env.DATABASE_URL = "pglite:memory:";
  process.env.PGLITE_MEMORY_TEMPLATE = inject("databaseTemplate");
  afterAll(closeEverything);
}

const { databaseReady } = await import("@/db");
await databaseReady();
