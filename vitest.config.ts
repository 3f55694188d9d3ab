import path from "node:path";
import { defineConfig } from "vitest/config";
import { z } from "zod";

// Every suite runs on in-memory PGlite, and again on PostgreSQL when TEST_DATABASE_URL is set. TEST_ENGINES
// (a comma-separated list) picks one: mutation testing runs on PostgreSQL only, where a file's setup is 4x faster.
// A misspelt engine would otherwise run on PGlite under its own name.
const engines = z
  .array(z.enum(["pglite", "postgres"]), "TEST_ENGINES must list pglite and/or postgres")
  .parse(process.env.TEST_ENGINES?.split(",").map((engine) => engine.trim()) ?? (process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"]));

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      // Tests run server code outside Next's bundler, which is what makes `import "server-only"` a no-op on the server.
      "server-only": path.resolve(import.meta.dirname, "node_modules/server-only/empty.js"),
    },
  },
  test: {
    projects: engines.map((engine) => ({
      extends: true,
      test: {
        name: engine,
        env: { PALISADE_TEST_ENGINE: engine },
      },
    })),
    include: ["tests/unit/**/*.test.ts", "tests/integration/**/*.test.ts"],
    globalSetup: ["tests/setup/database-templates.ts"],
    setupFiles: ["tests/setup/database.ts"],
    // Leak tests compare the heap after a full collection. Mutation testing runs the tests in worker threads,
    // which do not take the flag.
    execArgv: process.env.STRYKER_MUTATOR_WORKER ? [] : ["--expose-gc"],
    // next-auth imports "next/server" without an extension, which only a bundler resolves: let Vite handle it.
    server: { deps: { inline: ["next-auth"] } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
