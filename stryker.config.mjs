// Mutation testing (`npm run test:mutation`): slow, so not part of `npm test` or CI. Incremental: a rerun only
// tests the mutants whose code or covering tests changed since the committed tests/mutation/incremental*.json.
// With TEST_DATABASE_URL set, the tests run on PostgreSQL only: a test file's setup there takes a fifth of an
// in-memory PGlite's (which starts and migrates a database per file), and it is the engine that catches a
// dropped row lock. Without it they run on PGlite.
if (process.env.TEST_DATABASE_URL) process.env.TEST_ENGINES ??= "postgres";

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
const config = {
  testRunner: "vitest",
  vitest: { configFile: "vitest.config.ts" },
  mutate: ["db/queries/**/*.ts", "lib/auth/**/*.ts", "lib/events/**/*.ts"],
  coverageAnalysis: "perTest",
  incremental: true,
  incrementalFile: "tests/mutation/incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  concurrency: 2,
  timeoutMS: 60_000,
  // The first run is the whole suite with coverage per test: minutes on a busy 2-core machine.
  dryRunTimeoutMinutes: 20,
  ignoreStatic: true,
  // Changing a message or an audit text is not a change of behaviour worth a mutant each.
  mutator: { excludedMutations: ["StringLiteral"] },
  tempDirName: ".stryker-tmp",
  // What the sandbox must not copy: build output, data directories (with their sockets), reports.
  ignorePatterns: [".next", "data", "tests/e2e/.data", "test-results", "reports", "bench/results", "docs/screenshots", ".agent", "tests/mutation"],
};

export default config;
