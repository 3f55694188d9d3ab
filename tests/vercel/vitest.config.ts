import path from "node:path";
import { defineConfig } from "vitest/config";

// `npm run test:vercel`: a production build for Vercel, so kept out of `npm test` (vitest.config.ts).
export default defineConfig({
  root: path.resolve(import.meta.dirname, "../.."),
  test: {
    include: ["tests/vercel/**/*.test.ts"],
    testTimeout: 60_000,
    // The build runs in beforeAll; its own timeout (tests/vercel/vercel-build.ts) is shorter.
    hookTimeout: 20 * 60_000,
  },
});
