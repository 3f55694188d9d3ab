import path from "node:path";
import { defineConfig } from "vitest/config";

// `npm run test:docker` (scripts/docker-test.sh): the container tests, apart from `npm test`'s suites. They start
// containers and wait for them, one at a time.
export default defineConfig({
  root: path.resolve(import.meta.dirname, "../.."),
  test: {
    include: ["tests/docker/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
