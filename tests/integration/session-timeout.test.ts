import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import * as collection from "@/app/api/policies/route";
import * as item from "@/app/api/policies/[id]/route";
import * as sessionRoute from "@/app/api/session/route";
import { getDb } from "@/db";
import { call, createTestOrg, sessionCookie, type TestOrg } from "../helpers";

let org: TestOrg;
beforeEach(async () => {
  org = await createTestOrg();
});

async function timeoutPolicy(settings: Record<string, unknown>): Promise<string> {
  const response = await call(collection.POST, "POST", "/api/policies", { token: org.admin.token, body: { kind: "session_timeout", settings } });
  expect(response.status).toBe(201);
  return (await response.json()).id;
}

const listWith = (cookie: string) => call(collection.GET, "GET", "/api/policies", { headers: { cookie } });
const sessionState = (cookie: string) => call(sessionRoute.GET, "GET", "/api/session", { headers: { cookie } });

/** Moves the viewer's session's recorded last use `ms` further into the past, as if that much time had passed. */
async function idleLonger(sessionId: string, ms: number) {
  await getDb().execute(
    sql`update console_sessions set last_seen_at = last_seen_at - make_interval(secs => ${ms / 1000}) where user_id = ${org.viewer.user.id} and session_id = ${sessionId}`,
  );
}

/** Moves the viewer's session's recorded last use `ms` into the past. */
async function idleFor(sessionId: string, ms: number) {
  await getDb().execute(
    sql`update console_sessions set last_seen_at = now() - make_interval(secs => ${ms / 1000}) where user_id = ${org.viewer.user.id} and session_id = ${sessionId}`,
  );
}

describe("an enabled session timeout policy", () => {
  it("ends a session its absolute lifetime after sign-in, and only while it is enabled", async () => {
    const signedInAt = Math.floor(Date.now() / 1000) - 2 * 3600;
    const cookie = await sessionCookie(org.viewer.user, { at: signedInAt });
    expect((await listWith(cookie)).status).toBe(200);
    const id = await timeoutPolicy({ absoluteHours: 2 });
    expect((await listWith(cookie)).status).toBe(401);
    const fresh = await sessionCookie(org.viewer.user, { at: signedInAt + 60 });
    expect((await listWith(fresh)).status).toBe(200);
    // A session never used since sign-in is judged by its sign-in time alone.
    const unused = await sessionCookie(org.viewer.user, { at: signedInAt - 60 });
    expect((await listWith(unused)).status).toBe(401);

    const toggled = await call(item.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id }, body: { enabled: false } });
    expect(toggled.status).toBe(200);
    expect((await listWith(cookie)).status).toBe(200);
  });

  it("ends a session left idle, on its next request; use keeps it alive", async () => {
    await timeoutPolicy({ idleMinutes: 30 });
    const cookie = await sessionCookie(org.viewer.user, { sid: "idle-session" });
    expect((await listWith(cookie)).status).toBe(200);
    await idleFor("idle-session", 29 * 60_000);
    expect((await listWith(cookie)).status).toBe(200);
    // That request was use: the idle clock started again, so 29 more minutes leave it alive.
    await idleLonger("idle-session", 29 * 60_000);
    expect((await listWith(cookie)).status).toBe(200);
    await idleLonger("idle-session", 30 * 60_000 + 1000);
    expect((await listWith(cookie)).status).toBe(401);
    // Another session of the same user, used recently, is not affected.
    expect((await listWith(await sessionCookie(org.viewer.user, { sid: "busy-session" }))).status).toBe(200);
  });

  it("tells an open page its deadlines without counting the question as use", async () => {
    await timeoutPolicy({ absoluteHours: 8, idleMinutes: 15 });
    const signedInAt = Math.floor(Date.now() / 1000) - 60;
    const cookie = await sessionCookie(org.viewer.user, { sid: "watched", at: signedInAt });
    expect((await listWith(cookie)).status).toBe(200);
    await idleFor("watched", 14 * 60_000);
    const state = await sessionState(cookie);
    expect(state.status).toBe(200);
    const body = await state.json();
    expect(new Date(body.expiresAt).getTime()).toBe((signedInAt + 8 * 3600) * 1000);
    const idleLeft = new Date(body.idleExpiresAt).getTime() - Date.now();
    expect(idleLeft).toBeGreaterThan(50_000);
    expect(idleLeft).toBeLessThan(61_000);
    // Asking again did not push the deadline: the session still ends on time.
    await idleFor("watched", 15 * 60_000);
    expect((await sessionState(cookie)).status).toBe(401);
  });

  it("answers without deadlines when no policy is enabled, and 401 without a session", async () => {
    const state = await sessionState(await sessionCookie(org.viewer.user));
    expect(await state.json()).toMatchObject({ email: org.viewer.user.email, expiresAt: null, idleExpiresAt: null });
    expect((await call(sessionRoute.GET, "GET", "/api/session")).status).toBe(401);
  });
});

describe("with an IP allowlist too", () => {
  it("does not let requests the allowlist refuses keep a session alive", async () => {
    await timeoutPolicy({ idleMinutes: 30 });
    // Console only, from an address these requests do not come from; made disabled, through the API.
    const created = await call(collection.POST, "POST", "/api/policies", {
      token: org.admin.token,
      body: { kind: "ip_allowlist", enabled: false, settings: { cidrs: ["198.51.100.0/24"], appliesTo: "console" } },
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    const setAllowlist = async (enabled: boolean) =>
      expect((await call(item.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id }, body: { enabled } })).status).toBe(200);

    const cookie = await sessionCookie(org.viewer.user, { sid: "roaming" });
    expect((await listWith(cookie)).status).toBe(200);
    await idleFor("roaming", 29 * 60_000);
    await setAllowlist(true);
    expect((await listWith(cookie)).status).toBe(403);
    await setAllowlist(false);
    // Two more minutes pass. Had the refused request counted as use, the session would be two minutes idle; it is 31.
    await idleLonger("roaming", 2 * 60_000);
    expect((await listWith(cookie)).status).toBe(401);
  });
});
