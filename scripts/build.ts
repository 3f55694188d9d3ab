/** Builds the production app when its sources changed since the last build (`npm start` and the benchmark). */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const BUILD_INPUTS = ["app", "components", "lib", "db", "public", "auth.ts", "proxy.ts", "instrumentation.ts", "next.config.ts", "postcss.config.mjs", "package-lock.json", "tsconfig.json"];
const STAMP_FILE = path.join(".next", "palisade-build-stamp");
export const NEXT_BIN = path.join("node_modules", "next", "dist", "bin", "next");

function hashInputs(): string {
  const hash = createHash("sha256");
  const visit = (entry: string) => {
    if (!existsSync(entry)) return;
    if (statSync(entry).isDirectory()) {
      for (const child of readdirSync(entry).sort()) visit(path.join(entry, child));
      return;
    }
    hash.update(entry).update(readFileSync(entry));
  };
  BUILD_INPUTS.forEach(visit);
  return hash.digest("hex");
}

export function buildIfNeeded(): void {
  const stamp = hashInputs();
  const upToDate = existsSync(path.join(".next", "BUILD_ID")) && existsSync(STAMP_FILE) && readFileSync(STAMP_FILE, "utf8") === stamp;
  if (upToDate) return;
  console.log("Building Palisade (first start, or the sources changed)…");
  const result = spawnSync(process.execPath, [NEXT_BIN, "build"], { stdio: "inherit", env: process.env });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(STAMP_FILE, stamp);
}

