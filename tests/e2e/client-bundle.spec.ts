import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import * as schema from "@/db/schema";

// The production build the suite runs against: nothing of the database layer may reach the browser.
const STATIC = path.join(".next", "static");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? files(full) : [full];
  });
}

test("no browser chunk holds drizzle's tables or a table name", () => {
  const tableNames = Object.values(schema)
    .filter((value) => is(value, PgTable))
    .map((table) => getTableName(table as PgTable));
  expect(tableNames).toContain("audit_logs");
  const offending: string[] = [];
  for (const file of files(STATIC).filter((name) => name.endsWith(".js"))) {
    const source = readFileSync(file, "utf8");
    if (source.includes("PgTable")) offending.push(`${file}: PgTable`);
    for (const name of tableNames) if (source.includes(`"${name}"`) || source.includes(`'${name}'`)) offending.push(`${file}: "${name}"`);
  }
  expect(offending).toEqual([]);
});
