import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test, type Browser } from "@playwright/test";
import { CLIENT_ADDRESS_HEADER } from "@/lib/api/client-address";
import { SERVER_CONDITIONS } from "../../scripts/node-flags";
import { enterPassword } from "./console-helpers";
import { createToken, createUser, type E2eUser } from "./helpers";

const exec = promisify(execFile);
// Beside the suite's own server (E2E_PORT), clear of multi-instance.spec.ts (+11, +12).
const BASE_PORT = Number(process.env.E2E_PORT ?? 3100);
const ENTRY_PORT = BASE_PORT + 21;
const NEXT_START_PORT = BASE_PORT + 22;

const FORGED_ADDRESS = {
  "X-Forwarded-For": "203.0.113.99",
  [CLIENT_ADDRESS_HEADER]: `${"0".repeat(64)}:203.0.113.98`,
};
const LOOPBACK = ["127.0.0.1", "::1", "::ffff:127.0.0.1"];

interface Server {
  base: string;
  dataDir: string;
  admin: E2eUser;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * A production server of its own, with no proxy in front (TRUSTED_PROXIES=0), on a fresh embedded database with
 * an admin created from ADMIN_EMAIL. The build in .next is the suite's.
 */
async function startServer(how: "npm start" | "next start", port: number): Promise<Server> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "palisade-e2e-address-"));
  const admin = { email: `admin-${randomBytes(4).toString("hex")}@example.test`, password: `pw-${randomBytes(9).toString("base64url")}`, org: "Address" };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DATABASE_URL: `pglite:${dataDir}/pglite`,
    TRUSTED_PROXIES: "0",
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    ADMIN_ORG: admin.org,
    NEXT_TELEMETRY_DISABLED: "1",
  };
  // `npm start` generates the auth secret into the data directory; a bare `next start` needs one given.
  if (how === "next start") env.AUTH_SECRET = randomBytes(32).toString("base64url");
  const args = how === "npm start" ? [...SERVER_CONDITIONS, "--import", "tsx", "scripts/start.ts"] : ["node_modules/next/dist/bin/next", "start", "-p", String(port)];
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const base = `http://localhost:${port}`;
  await expect.poll(() => fetch(`${base}/api/health`).then((r) => r.status, () => 0), { timeout: 120_000 }).toBe(200);
  return {
    base,
    dataDir,
    admin,
    async stop() {
      child.kill("SIGTERM");
      const code = await exited;
      await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** A failed sign-in from a browser that sends forged forwarding headers with every request. */
async function failSignIn(browser: Browser, base: string, user: E2eUser, headers: Record<string, string>): Promise<void> {
  const context = await browser.newContext({ baseURL: base, extraHTTPHeaders: headers });
  const page = await context.newPage();
  await enterPassword(page, user, "not the password");
  await expect(page.getByText("Invalid email or password.")).toBeVisible();
  await context.close();
}

/** The addresses of the failed sign-ins of `email`, from the audit log, read with an API token made by the CLI. */
async function failedSignInAddresses(server: Server): Promise<(string | null)[]> {
  const cli = (...args: string[]) => exec("node_modules/.bin/tsx", [...SERVER_CONDITIONS, "scripts/cli.ts", ...args], { env: { ...process.env, DATABASE_URL: `pglite:${server.dataDir}/pglite` } });
  const token = (await cli("token", "create", "--email", server.admin.email, "--name", "e2e")).stdout.trimEnd().split("\n").at(-1)!;
  const logs = await fetch(`${server.base}/api/audit-logs?action=login_failed`, { headers: { Authorization: `Bearer ${token}` } });
  expect(logs.status).toBe(200);
  return ((await logs.json()) as { ip: string | null; user_email: string }[]).filter((entry) => entry.user_email === server.admin.email).map((entry) => entry.ip);
}

test.describe("the client address with no proxy in front (TRUSTED_PROXIES=0)", () => {
  test.setTimeout(240_000);

  test("npm start records the socket's address, whatever X-Forwarded-For or the internal header a client forges; SIGTERM stops it", async ({ browser }) => {
    const server = await startServer("npm start", ENTRY_PORT);
    try {
      // The sign-in form is a server action, which Next refuses when Origin and X-Forwarded-Host disagree: that it
      // works at all shows the entry dropped the forged host.
      await failSignIn(browser, server.base, server.admin, { ...FORGED_ADDRESS, "X-Forwarded-Host": "evil.example" });
      const addresses = await failedSignInAddresses(server);
      expect(addresses).toHaveLength(1);
      expect(LOOPBACK).toContain(addresses[0]);

      // The internal header never travels back to a client, on a page (which passes through proxy.ts) or the API.
      for (const pathname of ["/login", "/api/health"]) {
        const response = await fetch(`${server.base}${pathname}`, { headers: FORGED_ADDRESS });
        expect(JSON.stringify([...response.headers]).toLowerCase()).not.toContain("palisade-client-address");
      }
    } finally {
      expect(await server.stop()).toBe(143);
    }
  });

  test("a plain `next start` trusts no forwarded header: the address is unknown, never the forged one", async ({ browser }) => {
    const server = await startServer("next start", NEXT_START_PORT);
    try {
      await failSignIn(browser, server.base, server.admin, FORGED_ADDRESS);
      expect(await failedSignInAddresses(server)).toEqual(["unknown"]);
    } finally {
      await server.stop();
    }
  });
});

// The suite's server runs behind one (pretend) proxy: X-Forwarded-For names the client, the internal header still does not.
test("behind a proxy (TRUSTED_PROXIES=1) the address is the proxy's X-Forwarded-For entry, never a forged internal header", async ({ browser, baseURL }) => {
  const user = await createUser("admin");
  await failSignIn(browser, baseURL!, user, { "X-Forwarded-For": "203.0.113.99, 198.51.100.77", [CLIENT_ADDRESS_HEADER]: `${"0".repeat(64)}:203.0.113.98` });
  const logs = await fetch(`${baseURL}/api/audit-logs?action=login_failed`, { headers: { Authorization: `Bearer ${await createToken(user.email)}` } });
  expect(((await logs.json()) as { ip: string }[]).map((entry) => entry.ip)).toEqual(["198.51.100.77"]);
});
