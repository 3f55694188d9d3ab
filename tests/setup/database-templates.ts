/**
 * Migrates one database per engine before any test file runs; each file then starts from a copy of it instead of
 * migrating its own. A new in-memory PGlite spends seconds in initdb, and a copy loads in about one (docs/testing.md).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The engine's migrated database to copy: a PGlite data directory dump (a file), or a PostgreSQL database name. */
    databaseTemplate: string;
  }
}

const MIGRATIONS_FOLDER = path.resolve(import.meta.dirname, "../../db/migrations");

/** Runs once per project (engine), before its files. */
export default async function setup(project: TestProject) {
  // The projects are named after their engine (vitest.config.ts).
  if (project.name === "postgres") {
    const serverUrl = process.env.TEST_DATABASE_URL;
    if (!serverUrl) throw new Error("TEST_DATABASE_URL is required for the postgres project");
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    const template = `palisade_template_${randomBytes(6).toString("hex")}`;
    await admin.unsafe(`create database ${template}`);
    const url = new URL(serverUrl);
    url.pathname = `/${template}`;
    // Closed before any file copies it: PostgreSQL copies only a database nobody is connected to.
    const client = postgres(url.toString(), { max: 1, onnotice: () => {} });
    await migratePostgres(drizzlePostgres(client), { migrationsFolder: MIGRATIONS_FOLDER });
    await client.end();
    project.provide("databaseTemplate", template);
    return async () => {
      await admin.unsafe(`drop database if exists ${template} with (force)`);
      await admin.end();
    };
  }
  const folder = mkdtempSync(path.join(tmpdir(), "palisade-test-template-"));
  const template = path.join(folder, "pglite.tar");
  const pglite = new PGlite();
  await migratePglite(drizzlePglite({ client: pglite }), { migrationsFolder: MIGRATIONS_FOLDER });
  writeFileSync(template, Buffer.from(await (await pglite.dumpDataDir("none")).arrayBuffer()));
  await pglite.close();
  project.provide("databaseTemplate", template);
  return () => rmSync(folder, { recursive: true, force: true });
}
