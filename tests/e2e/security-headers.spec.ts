import { expect, test, type APIResponse } from "@playwright/test";
import { createToken, createUser, signInFirstTime, watchForViolations } from "./helpers";

// The Content-Security-Policy and HSTS headers, on pages and on the API, and the console working under them.

const HSTS = "max-age=63072000; includeSubDomains";
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The page policy's nonce, after checking the policy around it. */
function pagePolicyNonce(response: APIResponse): string {
  const policy = response.headers()["content-security-policy"] ?? "";
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).toContain("object-src 'none'");
  expect(policy).not.toContain("unsafe-eval");
  expect(policy).not.toContain("unsafe-inline");
  const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)' 'strict-dynamic'(?:;|$)/.exec(policy)?.[1];
  expect(nonce, policy).toBeTruthy();
  return nonce!;
}

/** Every <script> tag in a page's HTML. */
function scriptTags(html: string): string[] {
  return html.match(/<script\b[^>]*>/g) ?? [];
}

test("pages have a nonce-based policy, with a new nonce on every load, on every script Next renders", async ({ request }) => {
  const first = await request.get("/login");
  const second = await request.get("/login");
  expect(first.status()).toBe(200);
  const nonce = pagePolicyNonce(first);
  expect(pagePolicyNonce(second)).not.toBe(nonce);

  const scripts = scriptTags(await first.text());
  const inline = scripts.filter((tag) => !/\ssrc=/.test(tag));
  expect(inline.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);

  // A page that does not exist, and /setup once it is gone (404), have the policy too.
  for (const path of ["/setup", "/no-such-file.txt"]) {
    const notFound = await request.get(path);
    expect(notFound.status()).toBe(404);
    const notFoundNonce = pagePolicyNonce(notFound);
    for (const tag of scriptTags(await notFound.text())) expect(tag).toContain(`nonce="${notFoundNonce}"`);
  }
});

test("API responses have a strict static policy", async ({ request }) => {
  const health = await request.get("/api/health");
  expect(health.status()).toBe(200);
  expect(health.headers()["content-security-policy"]).toBe(API_CSP);
  const unauthenticated = await request.get("/api/policies");
  expect(unauthenticated.status()).toBe(401);
  expect(unauthenticated.headers()["content-security-policy"]).toBe(API_CSP);
});

test("HSTS is sent when the request came over HTTPS, and only then", async ({ request }) => {
  // The e2e server runs as if behind one proxy (TRUSTED_PROXIES=1), so X-Forwarded-Proto reaches it.
  for (const path of ["/login", "/", "/api/health"]) {
    const overHttps = await request.get(path, { headers: { "X-Forwarded-Proto": "https" }, maxRedirects: 0 });
    expect(overHttps.headers()["strict-transport-security"], path).toBe(HSTS);
    const overTwoProxies = await request.get(path, { headers: { "X-Forwarded-Proto": "https,http" }, maxRedirects: 0 });
    expect(overTwoProxies.headers()["strict-transport-security"], path).toBe(HSTS);

    const overHttp = await request.get(path, { headers: { "X-Forwarded-Proto": "http" }, maxRedirects: 0 });
    expect(overHttp.headers()["strict-transport-security"], path).toBeUndefined();
    const direct = await request.get(path, { maxRedirects: 0 });
    expect(direct.headers()["strict-transport-security"], path).toBeUndefined();
  }
});

test("the console works under the policy: sign-in, MFA enrolment, live updates, dialogs, navigation", async ({ page }) => {
  const violations = await watchForViolations(page);
  const user = await createUser("admin");
  const token = await createToken(user.email);
  // A published version, so the agents page draws its convergence bar.
  const published = await page.request.post("/api/policy", {
    headers: { Authorization: `Bearer ${token}` },
    data: { name: "Baseline", rules: [{ type: "block_ip", config: { trigger: "brute_force", threshold: 50, duration: "24h", scope: "host" } }] },
  });
  expect(published.status()).toBe(201);

  // Signed out: a console page redirects to /login, which works: a wrong password answers in place. (From an
  // address of its own, so this failure throttles no other test's sign-ins.)
  await page.setExtraHTTPHeaders({ "X-Forwarded-For": "198.51.100.31" });
  await page.goto("/audit");
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Faudit$/);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByText("Invalid email or password.")).toBeVisible();

  // Sign-in, then MFA enrolment, whose QR code is a data: image: a blocked image would be a violation.
  await signInFirstTime(page, user);

  // A client-side navigation: the new page's chunks load through 'strict-dynamic'. The live convergence panel
  // opens its event stream (connect-src).
  const mainNav = page.getByRole("navigation", { name: "Main" });
  await mainNav.getByRole("link", { name: "Agents", exact: true }).click();
  await expect(page).toHaveURL(/\/agents$/);
  await expect(page.getByRole("region", { name: "Fleet convergence" }).getByRole("status", { name: "Live updates: Live" })).toBeVisible();

  // Full page loads: server-rendered HTML is where an inline style attribute would be refused. The convergence
  // bar is a <progress>, and tables take their minimum width from a class.
  await page.goto("/agents");
  const panel = page.getByRole("region", { name: "Fleet convergence" });
  await expect(panel.getByRole("status", { name: "Live updates: Live" })).toBeVisible();
  await expect(panel.getByRole("progressbar")).toHaveJSProperty("value", 0);
  await page.goto("/settings/tokens");
  await expect(page.getByRole("table")).toHaveCSS("min-width", "768px");
  await page.goto("/audit");
  await expect(page.getByRole("table")).toHaveCSS("min-width", "832px");

  // A client component: the confirmation dialog of a critical policy.
  await page.goto("/policies");
  await page.getByRole("switch", { name: "MFA Required" }).click();
  const dialog = page.getByRole("dialog", { name: "Disable MFA Required?" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();

  // A not-found page, signed in.
  await page.goto("/no-such-page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();

  expect(violations).toEqual([]);
});
