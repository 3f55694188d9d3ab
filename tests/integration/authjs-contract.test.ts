import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { GET as authGET, POST as authPOST, type SessionClaims } from "@/auth";
import { completeTotpEnrollment, pendingTotpSecret } from "@/lib/auth/mfa";
import { cookiesOf, readSessionClaims, sessionCookieName } from "@/lib/auth/authjs";
import { encryptSecret } from "@/lib/auth/crypto";
import { actorFor } from "@/lib/auth/principal";
import { newTotpSecret } from "@/lib/auth/totp";
import { togglePolicy } from "@/lib/policies/service";
import { createTestOrg, TEST_PASSWORD } from "../helpers";

// What Palisade relies on in Auth.js (lib/auth/authjs.ts), checked against the installed version: if an upgrade
// changes one of these, this fails before sign-in does.

const BASE = "http://localhost:3000";

function authRequest(path: string, cookie: string, init: { method?: string; form?: Record<string, string>; json?: unknown } = {}) {
  const headers = new Headers({ cookie, host: "localhost:3000" });
  let body: string | undefined;
  if (init.form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(init.form).toString();
  } else if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return new NextRequest(`${BASE}${path}`, { method: init.method ?? (body ? "POST" : "GET"), headers, body });
}

/** The cookie jar after a response: the request's cookies, updated by the response's Set-Cookie headers. */
function jar(cookie: string, response: Response): string {
  const cookies = new Map(cookiesOf(new Request(BASE, { headers: { cookie } })).map(({ name, value }) => [name, value]));
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const [name, ...value] = pair!.split("=");
    if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name!.trim());
    else cookies.set(name!.trim(), value.join("="));
  }
  return [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
}

async function withCsrf(cookie: string): Promise<{ csrfToken: string; cookie: string }> {
  const response = await authGET(authRequest("/api/auth/csrf", cookie));
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { csrfToken, cookie: jar(cookie, response) };
}

async function signIn(email: string): Promise<string> {
  const { csrfToken, cookie } = await withCsrf("");
  const response = await authPOST(authRequest("/api/auth/callback/credentials", cookie, { form: { csrfToken, email, password: TEST_PASSWORD } }));
  return jar(cookie, response);
}

describe("the Auth.js conventions Palisade relies on", () => {
  it("issues the session under our cookie name, encrypted with the name as salt, which our adapter reads", async () => {
    const org = await createTestOrg();
    await togglePolicy({ actor: actorFor(org.admin.user), id: "pol-mfa-required", enabled: false });
    const cookie = await signIn(org.viewer.user.email);
    expect(cookiesOf(new Request(BASE, { headers: { cookie } })).map((c) => c.name)).toContain(sessionCookieName());
    const claims = await readSessionClaims<SessionClaims>(cookiesOf(new Request(BASE, { headers: { cookie } })));
    expect(claims).toMatchObject({ uid: org.viewer.user.id, orgId: org.orgId, mfa: "password", sid: expect.any(String), at: expect.any(Number) });
  });

  it("runs our jwt callback with trigger 'update' on POST /api/auth/session, where a completed enrolment promotes that session only", async () => {
    const org = await createTestOrg();
    const cookie = await signIn(org.viewer.user.email);
    const before = (await readSessionClaims<SessionClaims>(cookiesOf(new Request(BASE, { headers: { cookie } })))) as SessionClaims;
    expect(before.mfa).toBe("enroll");

    const sealed = (await pendingTotpSecret({ userId: org.viewer.user.id, sessionId: before.sid, sealedCandidate: encryptSecret(newTotpSecret()) }))!;
    await completeTotpEnrollment({ mfa: "enroll", actor: actorFor(org.viewer.user), userId: org.viewer.user.id, sessionId: before.sid, sealedSecret: sealed, step: 1, recoveryCodeHashes: [] });
    const { csrfToken, cookie: withToken } = await withCsrf(cookie);
    const updated = await authPOST(authRequest("/api/auth/session", withToken, { json: { csrfToken, data: {} } }));
    const after = (await readSessionClaims<SessionClaims>(cookiesOf(new Request(BASE, { headers: { cookie: jar(withToken, updated) } }))))!;
    expect(after).toMatchObject({ uid: before.uid, sid: before.sid, mfa: "verified", sv: before.sv + 1 });
  });
});
