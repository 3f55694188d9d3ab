/**
 * requireUser, the guard of every console page and server action: where each kind of session is sent, and the
 * actor it records changes as. Next's request APIs are stood in for: cookies() carries the test's session, and
 * redirect() throws as Next's does.
 */
import { sql } from "drizzle-orm";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { getDb, queryRows } from "@/db";
import { createPolicy, togglePolicy } from "@/lib/policies/service";
import { MFA_POLICY_ID } from "@/lib/policies/defaults";
import { actorFor } from "@/lib/auth/principal";
import { createTestOrg, sessionCookie } from "../helpers";

const request = vi.hoisted(() => ({ cookie: "", headers: new Headers() }));

vi.mock("next/headers", () => ({
  cookies: async () => ({
    getAll: () =>
      request.cookie
        .split("; ")
        .filter(Boolean)
        .map((pair) => ({ name: pair.slice(0, pair.indexOf("=")), value: pair.slice(pair.indexOf("=") + 1) })),
  }),
  headers: async () => request.headers,
}));
vi.mock("next/navigation", () => ({
  redirect: (path: string) => {
    throw new Error(`redirect ${path}`);
  },
}));

const { requireUser } = await import("@/lib/auth/session");

beforeEach(() => {
  request.cookie = "";
  request.headers = new Headers({ "user-agent": "test-browser" });
});

describe("requireUser", () => {
  it("sends a visitor without a session, or with one that must present its code again, to sign in", async () => {
    await expect(requireUser()).rejects.toThrow("redirect /login");
    const { viewer } = await createTestOrg();
    request.cookie = await sessionCookie(viewer.user, { sv: viewer.user.sessionVersion + 1 });
    await expect(requireUser()).rejects.toThrow("redirect /login");
  });

  it("sends an enrolling session to enrolment, unless the page is the enrolment page", async () => {
    const { viewer } = await createTestOrg();
    request.cookie = await sessionCookie(viewer.user, { mfa: "enroll" });
    await expect(requireUser()).rejects.toThrow("redirect /mfa/enroll");
    await expect(requireUser({ role: "admin" })).rejects.toThrow("redirect /mfa/enroll");
    expect((await requireUser({ allowEnrollment: true })).user.id).toBe(viewer.user.id);
  });

  it("sends a viewer away from admin pages, and lets an admin in, with the actor the audit log records", async () => {
    const { admin, viewer } = await createTestOrg();
    request.cookie = await sessionCookie(viewer.user);
    await expect(requireUser({ role: "admin" })).rejects.toThrow("redirect /");
    expect((await requireUser()).user.id).toBe(viewer.user.id);

    request.cookie = await sessionCookie(admin.user);
    const { user, actor, session } = await requireUser({ role: "admin" });
    expect(user.id).toBe(admin.user.id);
    expect(session.access).toBe("ok");
    expect(actor).toEqual({ orgId: admin.user.orgId, userId: admin.user.id, email: admin.user.email, ip: null, userAgent: "test-browser", channel: "console" });
  });

  it("lets a password-only session in while MFA Required is off", async () => {
    const { admin, viewer } = await createTestOrg();
    await togglePolicy({ actor: actorFor(admin.user), id: MFA_POLICY_ID, enabled: false });
    request.cookie = await sessionCookie(viewer.user, { mfa: "password" });
    expect((await requireUser()).session.access).toBe("ok");
  });
});

describe("requireUser under access policies", () => {
  it("sends a session from outside the console's IP allowlist to sign in, and counts a page as use of the session", async () => {
    const org = await createTestOrg();
    await createPolicy({
      actor: actorFor(org.admin.user),
      input: { id: "pol-office", name: "Office", description: "", type: "network", rules: ["Office only"], enabled: true, kind: "ip_allowlist", settings: { cidrs: ["203.0.113.0/24"], appliesTo: "console" } },
    });
    request.cookie = await sessionCookie(org.viewer.user, { sid: "page-visitor" });
    // TRUSTED_PROXIES is 0 in tests: the address is unknown, which no allowlist admits.
    await expect(requireUser()).rejects.toThrow("redirect /login");
    expect(await queryRows(getDb(), sql`select 1 from console_sessions where user_id = ${org.viewer.user.id}`)).toEqual([]);

    await togglePolicy({ actor: actorFor(org.admin.user), id: "pol-office", enabled: false });
    await requireUser();
    expect(await queryRows(getDb(), sql`select session_id from console_sessions where user_id = ${org.viewer.user.id}`)).toEqual([{ session_id: "page-visitor" }]);
  });
});
