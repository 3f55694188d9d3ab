import { beforeAll, describe, expect, it } from "vitest";
import * as auditLogs from "@/app/api/audit-logs/route";
import * as exportRoute from "@/app/api/audit-logs/export/route";
import * as item from "@/app/api/policies/[id]/route";
import { insertAuditLog } from "@/db/queries/audit-logs";
import { getDb } from "@/db";
import { actorFor } from "@/lib/auth/principal";
import { call, createTestOrg, type TestOrg } from "../helpers";

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else if (char !== "\r") {
      field += char;
    }
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

const HEADER = ["id", "timestamp", "user_id", "user_email", "action", "resource", "details", "success", "ip", "user_agent", "before", "after"];

function exportFile(org: TestOrg, query: string, token = org.viewer.token) {
  return call(exportRoute.GET, "GET", `/api/audit-logs/export${query}`, { token });
}

let org: TestOrg;
beforeAll(async () => {
  org = await createTestOrg();
  for (const id of ["pol-mfa-required", "pol-network-zero-trust", "pol-mfa-required", "missing-policy"]) {
    await call(item.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id } });
  }
  // A user agent is chosen by the client: a spreadsheet must not run it as a formula.
  await insertAuditLog(getDb(), { ...actorFor(org.admin.user), userAgent: '=HYPERLINK("https://evil.example","x")' }, {
    action: "login_failed",
    resource: `user:${org.admin.user.id}`,
    details: "Wrong password, with a comma, a \"quote\"\nand a newline",
    success: false,
  });
});

describe("GET /api/audit-logs/export", () => {
  it("exports the filtered log as a CSV attachment with a header row, newest first", async () => {
    const response = await exportFile(org, "?format=csv&action=toggle_policy");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="palisade-audit-log-\d{8}T\d{6}Z\.csv"$/);
    expect(response.headers.get("x-export-truncated")).toBe("false");
    expect(response.headers.get("cache-control")).toBe("no-store");

    const [header, ...rows] = parseCsv(await response.text());
    expect(header).toEqual(HEADER);
    expect(rows).toHaveLength(4);
    expect(rows.map((row) => row[4])).toEqual(["toggle_policy", "toggle_policy", "toggle_policy", "toggle_policy"]);
    expect(rows.map((row) => row[5])).toEqual(["policy:missing-policy", "policy:pol-mfa-required", "policy:pol-network-zero-trust", "policy:pol-mfa-required"]);
    const [, latestMfa] = rows;
    expect(latestMfa![6]).toBe("Policy enabled");
    expect(latestMfa![7]).toBe("true");
    expect(latestMfa![3]).toBe(org.admin.user.email);
    expect(JSON.parse(latestMfa![10]!)).toMatchObject({ id: "pol-mfa-required", enabled: false });
    expect(JSON.parse(latestMfa![11]!)).toMatchObject({ id: "pol-mfa-required", enabled: true });
    expect(rows[0]![7]).toBe("false");
  });

  it("exports JSON identical to what GET /api/audit-logs answers for the same filter", async () => {
    const exported = await exportFile(org, "?format=json&resource=policy:pol-mfa-required");
    expect(exported.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(exported.headers.get("content-disposition")).toMatch(/\.json"$/);
    const listed = await call(auditLogs.GET, "GET", "/api/audit-logs?resource=policy:pol-mfa-required", { token: org.viewer.token });
    const body = await exported.json();
    expect(body).toHaveLength(2);
    expect(body).toEqual(await listed.json());
  });

  it("quotes commas, quotes and newlines, and defuses cells a spreadsheet would run as formulas", async () => {
    const response = await exportFile(org, "?format=csv&action=login_failed");
    const [, row] = parseCsv(await response.text());
    expect(row![6]).toBe('Wrong password, with a comma, a "quote"\nand a newline');
    expect(row![9]).toBe(`'=HYPERLINK("https://evil.example","x")`);
  });

  it("cuts at the limit and says so, with a Link to the rest", async () => {
    const response = await exportFile(org, "?format=json&limit=2");
    expect(response.headers.get("x-export-row-limit")).toBe("2");
    expect(response.headers.get("x-export-truncated")).toBe("true");
    const first = (await response.json()) as { id: string }[];
    expect(first).toHaveLength(2);
    const next = /^<([^>]+)>; rel="next"$/.exec(response.headers.get("link") ?? "")?.[1];
    expect(next).toBeDefined();
    const url = new URL(next!);
    const rest = (await (await exportFile(org, url.search)).json()) as { id: string }[];
    expect(rest[0]!.id).not.toBe(first[1]!.id);
    expect(Number(rest[0]!.id.slice(4))).toBeLessThan(Number(first[1]!.id.slice(4)));
  });

  it("audits each export with who, what format and which filter, never in the export itself", async () => {
    const response = await exportFile(org, "?format=csv&action=toggle_policy");
    const [, ...rows] = parseCsv(await response.text());
    expect(rows.map((row) => row[4])).not.toContain("export_audit_log");
    const audited = await call(auditLogs.GET, "GET", "/api/audit-logs?action=export_audit_log", { token: org.admin.token });
    expect(((await audited.json()) as Record<string, unknown>[])[0]).toMatchObject({
      user_email: org.viewer.user.email,
      resource: "audit-log",
      details: "Exported 4 entries as CSV (action=toggle_policy)",
      success: true,
    });
  });

  it("writes the header row even when nothing matches", async () => {
    const response = await exportFile(org, "?format=csv&since=2999-01-01");
    expect(parseCsv(await response.text())).toEqual([HEADER]);
  });

  it("only exports the caller's organization", async () => {
    const other = await createTestOrg();
    const response = await exportFile(other, "?format=json&action=toggle_policy");
    expect(await response.json()).toEqual([]);
  });

  it("refuses a missing token, a bad format and bad filters like the list API", async () => {
    const anonymous = await call(exportRoute.GET, "GET", "/api/audit-logs/export?format=csv");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ detail: "Not authenticated" });
    for (const query of ["", "?format=xml", "?format=csv&limit=0", "?format=csv&limit=10001", "?format=csv&success=maybe", "?format=csv&since=yesterday"]) {
      const response = await exportFile(org, query);
      expect(response.status, query).toBe(422);
    }
    const missingFormat = (await (await exportFile(org, "")).json()) as { detail: { loc: string[]; msg: string }[] };
    expect(missingFormat.detail).toEqual([{ loc: ["query", "format"], msg: "must be csv or json", type: "invalid_value" }]);
  });
});
