import { beforeAll, describe, expect, it } from "vitest";
import * as auditLogs from "@/app/api/audit-logs/route";
import * as item from "@/app/api/policies/[id]/route";
import { call, createTestOrg, type TestOrg } from "../helpers";

interface Entry {
  id: string;
  action: string;
  resource: string;
  user_email: string;
  success: boolean;
  timestamp: string;
}

async function get(org: TestOrg, query: string) {
  const response = await call(auditLogs.GET, "GET", `/api/audit-logs${query}`, { token: org.viewer.token });
  return { response, body: (await response.json()) as Entry[] };
}

/** The path and query of a `Link: <url>; rel="next"` header, or null on the last page. */
function nextPagePath(link: string | null): string | null {
  const target = link && /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
  if (!target) return null;
  const url = new URL(target);
  return url.pathname + url.search;
}

let org: TestOrg;
beforeAll(async () => {
  org = await createTestOrg();
  for (const id of ["pol-mfa-required", "pol-network-zero-trust", "pol-mfa-required", "nope"]) {
    await call(item.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id } });
  }
});

describe("GET /api/audit-logs", () => {
  it("answers a bare array, newest first, with the documented fields", async () => {
    const { response, body } = await get(org, "");
    expect(response.status).toBe(200);
    expect(Array.isArray(body)).toBe(true);
    const ids = body.map((entry) => Number(entry.id.slice(4)));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const timestamps = body.map((entry) => entry.timestamp);
    expect(timestamps).toEqual([...timestamps].sort().reverse());
    expect(Object.keys(body[0]!)).toEqual(
      expect.arrayContaining(["id", "user_id", "user_email", "action", "resource", "details", "timestamp", "success", "ip", "user_agent"]),
    );
  });

  it("filters by action, resource, user, success and time", async () => {
    const toggles = await get(org, "?action=toggle_policy");
    expect(toggles.body).toHaveLength(4);
    const mfa = await get(org, "?resource=policy:pol-mfa-required");
    expect(mfa.body).toHaveLength(2);
    const failed = await get(org, "?success=false");
    expect(failed.body.map((entry) => entry.resource)).toEqual(["policy:nope"]);
    const byUser = await get(org, `?user_email=${encodeURIComponent(org.admin.user.email.toUpperCase())}&action=toggle_policy`);
    expect(byUser.body).toHaveLength(4);
    const byViewer = await get(org, `?user_email=${encodeURIComponent(org.viewer.user.email)}`);
    expect(byViewer.body.every((entry) => entry.user_email === org.viewer.user.email)).toBe(true);
    expect(byViewer.body.length).toBeLessThan((await get(org, "?limit=1000")).body.length);
    const future = await get(org, "?since=2999-01-01T00:00:00Z");
    expect(future.body).toEqual([]);
    const past = await get(org, "?until=2000-01-01");
    expect(past.body).toEqual([]);
    const window = await get(org, `?since=${encodeURIComponent(toggles.body.at(-1)!.timestamp)}&action=toggle_policy`);
    expect(window.body).toHaveLength(4);
  });

  it("pages with a Link header cursor until every entry has been seen once", async () => {
    const all = (await get(org, "?limit=1000")).body;
    const seen: string[] = [];
    let url: string | null = "/api/audit-logs?limit=2";
    while (url) {
      const response = await call(auditLogs.GET, "GET", url, { token: org.viewer.token });
      seen.push(...((await response.json()) as Entry[]).map((entry) => entry.id));
      url = nextPagePath(response.headers.get("link"));
    }
    expect(seen).toEqual(all.map((entry) => entry.id));
  });

  it("refuses bad parameters with a 422 naming them", async () => {
    for (const query of ["?limit=0", "?limit=1001", "?limit=ten", "?success=maybe", "?since=yesterday", "?cursor=abc"]) {
      const { response, body } = await get(org, query);
      expect(response.status, query).toBe(422);
      const [problem] = (body as unknown as { detail: { loc: string[] }[] }).detail;
      expect(problem?.loc[0]).toBe("query");
    }
  });

  it("shows nothing from another organization", async () => {
    const other = await createTestOrg();
    const { body } = await get(other, "?limit=1000");
    expect(body.map((entry) => entry.action)).toEqual(["create_api_token", "create_user", "create_api_token", "create_user", "seed_default_policies"]);
  });
});
