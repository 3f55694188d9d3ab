/**
 * `npm test`: lint, typecheck, unit and integration tests (on in-memory PGlite, and again on PostgreSQL
 * when TEST_DATABASE_URL is set), then the end-to-end tests in Chromium against a production build.
 * Every suite runs even when an earlier one fails; the exit code is non-zero if any failed.
 */
import { spawnSync } from "node:child_process";

const bin = (name: string) => `node_modules/.bin/${name}`;
const engines = process.env.TEST_DATABASE_URL ? "PGlite and PostgreSQL" : "PGlite (set TEST_DATABASE_URL to add PostgreSQL)";

const suites: { name: string; command: string[] }[] = [
  { name: "lint", command: [bin("eslint"), "--max-warnings", "0", "."] },
  { name: "typecheck", command: [bin("tsc"), "--noEmit"] },
  { name: `unit and integration tests on ${engines}`, command: [bin("vitest"), "run"] },
  { name: "end-to-end tests in Chromium", command: [bin("playwright"), "test"] },
];

const results = suites.map(({ name, command }) => {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const [program, ...args] = command as [string, ...string[]];
  const { status } = spawnSync(program, args, { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  return { name, ok: status === 0, seconds: Math.round((Date.now() - started) / 1000) };
});

console.log("\nSummary");
for (const { name, ok, seconds } of results) console.log(`  ${ok ? "✓" : "✗"} ${name} (${seconds}s)`);
process.exitCode = results.every((result) => result.ok) ? 0 : 1;
