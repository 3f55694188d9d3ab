import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import * as item from "@/app/api/policies/[id]/route";
import * as collection from "@/app/api/policies/route";
import { getDb } from "@/db";
import { listApiTokens } from "@/db/queries/api-tokens";
import { revokeApiToken } from "@/lib/auth/api-tokens";
import { apiTokens, users } from "@/db/schema";
import { actorFor } from "@/lib/auth/principal";
import { issueSecret } from "@/lib/auth/secrets";
import { call, createTestOrg, sessionCookie } from "../helpers";

async function expectRefused(headers: Record<string, string>) {
  const response = await call(collection.GET, "GET", "/api/policies", { headers });
  expect(response.status).toBe(401);
  expect(await response.json()).toEqual({ detail: "Not authenticated" });
  expect(response.headers.get("www-authenticate")).toBe("Bearer");
}

// Every route against every kind of credential (expired, revoked, of another kind…) is the authorization matrix's
// (authorization-matrix.test.ts); these are the details of one route's bearer handling.
describe("API authentication", () => {
  it("refuses a missing, malformed, or unknown token with the documented 401", async () => {
    await expectRefused({});
    await expectRefused({ authorization: "Basic YWRtaW46YWRtaW4=" });
    await expectRefused({ authorization: "Bearer" });
    await expectRefused({ authorization: "Bearer not-a-palisade-token" });
    await expectRefused({ authorization: `Bearer ${issueSecret("apiToken").secret}` });
    // An agent token is not an API token.
    await expectRefused({ authorization: `Bearer ${issueSecret("agentToken").secret}` });
  });

  it("accepts a live token, records its last use, and refuses it once revoked", async () => {
    const org = await createTestOrg();
    const ok = await call(collection.GET, "GET", "/api/policies", { token: org.admin.token });
    expect(ok.status).toBe(200);
    await expect.poll(async () => (await listApiTokens({ orgId: org.orgId, userId: org.admin.user.id }))[0]?.lastUsedAt).not.toBeNull();

    const [token] = await listApiTokens({ orgId: org.orgId, userId: org.admin.user.id });
    expect(await revokeApiToken({ id: token!.id, actor: actorFor(org.admin.user) })).toBe(true);
    await expectRefused({ authorization: `Bearer ${org.admin.token}` });
  });

  it("records a token's use to the minute: a recent use is left as it is, an older one is brought forward", async () => {
    const org = await createTestOrg();
    const [token] = await listApiTokens({ orgId: org.orgId, userId: org.admin.user.id });
    const lastUsed = async () => (await listApiTokens({ orgId: org.orgId, userId: org.admin.user.id }))[0]!.lastUsedAt!.getTime();
    const useTokenLastAt = (at: Date) => getDb().update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, token!.id));

    const recent = new Date(Date.now() - 30_000);
    await useTokenLastAt(recent);
    expect((await call(collection.GET, "GET", "/api/policies", { token: org.admin.token })).status).toBe(200);
    // Give a write that should not happen the time to land.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await lastUsed()).toBe(recent.getTime());

    const old = new Date(Date.now() - 90_000);
    await useTokenLastAt(old);
    expect((await call(collection.GET, "GET", "/api/policies", { token: org.admin.token })).status).toBe(200);
    await expect.poll(lastUsed).toBeGreaterThan(Date.now() - 10_000);
  });

  it("refuses the token of a disabled user", async () => {
    const org = await createTestOrg();
    await getDb().update(users).set({ disabledAt: new Date() }).where(eq(users.id, org.viewer.user.id));
    await expectRefused({ authorization: `Bearer ${org.viewer.token}` });
  });

  it("stores only a hash of the token", async () => {
    const org = await createTestOrg();
    const rows = await getDb().query.apiTokens.findMany();
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(org.admin.token);
    expect(stored).not.toContain(org.admin.token.slice(12));
  });

  it("refuses a console session's write whose Origin is another site, \"null\" or not a URL with 403, never 500", async () => {
    const org = await createTestOrg();
    const cookie = await sessionCookie(org.admin.user);
    const toggle = (origin: string) =>
      call(item.PATCH, "PATCH", "/api/policies/pol-mfa-required", { params: { id: "pol-mfa-required" }, headers: { cookie, origin } });
    for (const origin of ["http://[", "https://", "not a url", "null", "https://evil.example"]) {
      const response = await toggle(origin);
      expect(response.status, origin).toBe(403);
      expect(await response.json()).toEqual({ detail: "Not authorized" });
    }
    // With no proxy declared (TRUSTED_PROXIES=0), an X-Forwarded-Host the client wrote cannot make another site look like this one.
    const forged = await call(item.PATCH, "PATCH", "/api/policies/pol-mfa-required", {
      params: { id: "pol-mfa-required" },
      headers: { cookie, origin: "https://evil.example", "x-forwarded-host": "evil.example" },
    });
    expect(forged.status).toBe(403);
    // The same session from the console's own origin writes.
    const allowed = await toggle("http://localhost");
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ message: "Policy disabled", enabled: false });
  });
});
