import { defineConfig, devices } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_DATA_DIR = "tests/e2e/.data";

const browser = {
  ...devices["Desktop Chrome"],
  // Debian's Chromium; nothing here downloads a browser.
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  },
};

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results",
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    // The first-run setup needs the empty database, so it runs before everything else.
    { name: "first-run", testMatch: /first-run\.setup\.ts/, use: browser },
    { name: "chromium", dependencies: ["first-run"], testIgnore: /first-run\.setup\.ts/, use: browser },
  ],
  // The production build, served by the same `npm start` a user runs, on a fresh embedded database.
  webServer: {
    command: `rm -rf ${E2E_DATA_DIR} && node_modules/.bin/tsx --conditions=react-server scripts/start.ts`,
    url: `http://localhost:${PORT}/api/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "ignore",
    env: {
      PORT: String(PORT),
      DATABASE_URL: `pglite:${E2E_DATA_DIR}/pglite`,
      // As if behind one reverse proxy: a test may say which client address a request comes from.
      TRUSTED_PROXIES: "1",
      // Audit streaming may reach the specs' local receiver (tests/e2e/audit-streaming.spec.ts).
      WEBHOOK_ALLOW_PRIVATE: "true",
      NEXT_TELEMETRY_DISABLED: "1",
    },
  },
});
