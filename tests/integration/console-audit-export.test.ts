import { stringify } from "csv-stringify/sync";
import { desc, eq } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import * as auditLogs from "@/app/api/audit-logs/route";
import * as exportRoute from "@/app/api/audit-logs/export/route";
import * as item from "@/app/api/policies/[id]/route";
import type * as AuditLogQueries from "@/db/queries/audit-logs";
import { listAuditLogs, type AuditLogFilter } from "@/db/queries/audit-logs";
import { recordAudit } from "@/lib/audit/log";
import { getDb } from "@/db";
import { auditLogs as auditLogsTable, type AuditLog, type NewAuditLog } from "@/db/schema";
import { EXPORT_BATCH_ROWS, MAX_EXPORTS_PER_ORG, MAX_EXPORTS_PER_USER } from "@/lib/audit/export";
import { toAuditLogJson } from "@/lib/audit/serialize";
import { actorFor } from "@/lib/auth/principal";
import { call, createTestOrg, createTestUser, sessionCookie, type TestOrg } from "../helpers";

/**
 * Every read of the audit log goes through the real query, counted: how many rows each query fetched, and
 * a switch to make the next reads fail like a lost database connection.
 */
const reads = vi.hoisted(() => ({ fetched: [] as number[], failNext: 0 }));
vi.mock("@/db/queries/audit-logs", async (importOriginal) => {
  const original = await importOriginal<typeof AuditLogQueries>();
  return {
    ...original,
    listAuditLogs: async (filter: AuditLogFilter) => {
      if (reads.failNext > 0) {
        reads.failNext--;
        throw new Error("connection lost");
      }
      const rows = await original.listAuditLogs(filter);
      reads.fetched.push(rows.length);
      return rows;
    },
  };
});

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

const HEADER = ["id", "timestamp", "user_id", "user_email", "action", "resource", "details", "success", "ip", "user_agent", "before", "after", "chain_position", "hash"];

function exportFile(org: TestOrg, query: string, token = org.viewer.token) {
  return call(exportRoute.GET, "GET", `/api/audit-logs/export${query}`, { token });
}

beforeEach(() => {
  reads.fetched.length = 0;
  reads.failNext = 0;
});

let org: TestOrg;
beforeAll(async () => {
  org = await createTestOrg();
  for (const id of ["pol-mfa-required", "pol-network-zero-trust", "pol-mfa-required", "missing-policy"]) {
    await call(item.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id } });
  }
  // A user agent is chosen by the client: a spreadsheet must not run it as a formula.
  await recordAudit({ ...actorFor(org.admin.user), userAgent: '=HYPERLINK("https://evil.example","x")' }, {
    action: "login_failed",
    resource: `user:${org.admin.user.id}`,
    details: "Wrong password, with a comma, a \"quote\"\nand a newline",
    success: false,
  }, getDb());
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

    // Exactly as many entries as the limit, or none at all, is a whole export, not a truncated one.
    const exact = await exportFile(org, "?format=csv&action=toggle_policy&limit=4");
    expect(exact.headers.get("x-export-truncated")).toBe("false");
    expect(parseCsv(await exact.text())).toHaveLength(5);
    const empty = await exportFile(org, "?format=csv&action=no_such_action");
    expect(empty.headers.get("x-export-truncated")).toBe("false");
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

  it("exports the same entries as verifiable JSON, wrapped with what verifies them (the JSON export stays a bare array)", async () => {
    const exported = await exportFile(org, "?format=verifiable&resource=policy:pol-mfa-required");
    expect(exported.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(exported.headers.get("content-disposition")).toMatch(/\.verifiable\.json"$/);
    const listed = await call(auditLogs.GET, "GET", "/api/audit-logs?resource=policy:pol-mfa-required", { token: org.viewer.token });
    const body = (await exported.json()) as { format: string; orgId: string; filtered: boolean; entries: unknown[]; checkpoints: unknown[]; keys: { keyId: string }[] };
    expect(body).toMatchObject({ format: "palisade-audit-export/1", orgId: org.orgId, filtered: true, checkpoints: [] });
    expect(body.entries).toEqual(await listed.json());
    expect(body.keys.length).toBeGreaterThan(0);
    const [audited] = await exportAudits(org);
    expect(audited!.details).toBe("Exported 2 entries as verifiable JSON (resource=policy:pol-mfa-required)");
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
    expect(missingFormat.detail).toEqual([{ loc: ["query", "format"], msg: "must be csv, json or verifiable", type: "invalid_value" }]);
  });
});

/** Adds `count` small audit rows to an organization in a few statements, oldest first. */
async function insertRows(orgId: string, count: number, row: (index: number) => Partial<NewAuditLog> = () => ({})) {
  for (let start = 0; start < count; start += 1000) {
    const values = Array.from({ length: Math.min(1000, count - start) }, (_, offset) => ({
      orgId,
      userId: "user-bulk",
      userEmail: "bulk@example.test",
      action: "toggle_policy",
      resource: `policy:bulk-${start + offset}`,
      details: "Policy enabled",
      success: true,
      ...row(start + offset),
    }));
    await getDb().insert(auditLogsTable).values(values);
  }
}

/** The non-streamed export as main wrote it before streaming: every row, then csv-stringify once. */
function referenceCsv(rows: AuditLog[]): string {
  const neutralize = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
  const records = rows.map((row) => {
    const json = toAuditLogJson(row);
    return HEADER.map((column) => {
      const value = json[column as keyof typeof json];
      if (value === undefined || value === null) return "";
      return neutralize(typeof value === "string" ? value : JSON.stringify(value));
    });
  });
  return stringify(records, { header: true, columns: HEADER, eof: true });
}

/** The newest `export_audit_log` rows of an organization, read with its admin's token. */
async function exportAudits(of: TestOrg): Promise<{ details: string; user_email: string }[]> {
  const response = await call(auditLogs.GET, "GET", "/api/audit-logs?action=export_audit_log&limit=1000", { token: of.admin.token });
  return (await response.json()) as { details: string; user_email: string }[];
}

describe("the export's audit row", () => {
  it("names only the validated filters, in a canonical form, never unknown or oversized parameters", async () => {
    const huge = "A".repeat(15_000);
    const email = org.admin.user.email.toUpperCase();
    const response = await exportFile(org, `?junk=${huge}&user_email=${encodeURIComponent(email)}&success=true&format=json&since=2026-01-01&action=toggle_policy&x=%3Cscript%3E`);
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveLength(3);
    const [audited] = await exportAudits(org);
    expect(audited!.details).toBe(`Exported 3 entries as JSON (action=toggle_policy, user_email=${org.admin.user.email}, success=true, since=2026-01-01T00:00:00.000Z)`);

    const paged = await exportFile(org, "?limit=2&format=csv&cursor=999999999");
    await paged.text();
    expect((await exportAudits(org))[0]!.details).toBe("Exported 2 entries as CSV (cursor=999999999, limit=2), truncated");

    // A known filter that is too long is refused before anything is written.
    const refused = await exportFile(org, `?format=csv&resource=${huge}`);
    expect(refused.status).toBe(422);
    const everything = await call(auditLogs.GET, "GET", "/api/audit-logs?limit=1000", { token: org.admin.token });
    const stored = await everything.text();
    expect(stored).not.toContain("AAAAAAAAAA");
    expect(stored).not.toContain("junk");
    expect(stored).not.toContain("<script>");
  });
});

describe("streaming", () => {
  it("streams more rows than one batch, each once and in order, byte for byte what the non-streamed export wrote", async () => {
    const big = await createTestOrg();
    await insertRows(big.orgId, EXPORT_BATCH_ROWS * 2 + 234, (index) =>
      index % 97 === 0
        ? { userAgent: "=cmd|' /C calc'!A0", details: `Quoted "détails", with commas,\nnewlines and ✓ n°${index}`, before: { enabled: true, rules: ["a,b"] }, after: { enabled: false } }
        : {},
    );
    const rows = await listAuditLogs({ orgId: big.orgId, limit: 10_000 });
    reads.fetched.length = 0;
    const csv = await exportFile(big, "?format=csv", big.viewer.token);
    expect(csv.headers.get("x-export-truncated")).toBe("false");
    const csvText = await csv.text();
    expect(csvText).toBe(referenceCsv(rows));
    expect(parseCsv(csvText)).toHaveLength(rows.length + 1);
    expect(reads.fetched).toEqual([EXPORT_BATCH_ROWS, EXPORT_BATCH_ROWS, rows.length - 2 * EXPORT_BATCH_ROWS]);

    // The CSV export's own audit row is in the log now, and in the JSON export.
    const rowsNow = await listAuditLogs({ orgId: big.orgId, limit: 10_000 });
    expect(rowsNow).toHaveLength(rows.length + 1);
    const json = await exportFile(big, "?format=json", big.viewer.token);
    expect(await json.text()).toBe(JSON.stringify(rowsNow.map(toAuditLogJson)));
  });

  it("reads 20,000+ rows in keyset batches of at most EXPORT_BATCH_ROWS, following the Link header to the end", async () => {
    const huge = await createTestOrg();
    await insertRows(huge.orgId, 20_500);
    const expected = (await getDb().select({ seq: auditLogsTable.seq }).from(auditLogsTable).where(eq(auditLogsTable.orgId, huge.orgId)).orderBy(desc(auditLogsTable.seq))).map(
      (row) => `log-${row.seq}`,
    );
    expect(expected.length).toBeGreaterThan(20_500);

    const seen: string[] = [];
    let query: string | null = "?format=json";
    let exports = 0;
    while (query) {
      const response = await exportFile(huge, query, huge.viewer.token);
      expect(response.status).toBe(200);
      seen.push(...((await response.json()) as { id: string }[]).map((entry) => entry.id));
      const next = /^<([^>]+)>; rel="next"$/.exec(response.headers.get("link") ?? "")?.[1];
      expect(response.headers.get("x-export-truncated")).toBe(String(next !== undefined));
      query = next ? new URL(next).search : null;
      exports++;
    }
    expect(exports).toBe(3);
    expect(seen).toEqual(expected);
    expect(Math.max(...reads.fetched)).toBeLessThanOrEqual(EXPORT_BATCH_ROWS);
    expect(reads.fetched.length).toBeGreaterThanOrEqual(Math.ceil(expected.length / EXPORT_BATCH_ROWS));
  });

  it("aborts the download when the database fails mid-export, and frees the slot", async () => {
    const failing = await createTestOrg();
    await insertRows(failing.orgId, EXPORT_BATCH_ROWS * 2);
    const response = await exportFile(failing, "?format=csv", failing.viewer.token);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^id,timestamp,/);
    reads.failNext = 1;
    await expect(async () => {
      for (;;) if ((await reader.read()).done) break;
    }).rejects.toThrow();
    const again = await Promise.all(Array.from({ length: MAX_EXPORTS_PER_USER }, () => exportFile(failing, "?format=csv", failing.viewer.token)));
    expect(again.map((each) => each.status)).toEqual(Array(MAX_EXPORTS_PER_USER).fill(200));
    await Promise.all(again.map((each) => each.text()));
  });

  it("stops reading from the database when the client goes away mid-export, and frees the slot", async () => {
    const leaving = await createTestOrg();
    await insertRows(leaving.orgId, EXPORT_BATCH_ROWS * 3);
    const client = new AbortController();
    const request = new Request("http://localhost/api/audit-logs/export?format=json", {
      headers: { authorization: `Bearer ${leaving.viewer.token}` },
      signal: client.signal,
    });
    const response = await exportRoute.GET(request, { params: Promise.resolve({}) });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^\[\{"id":"log-/);
    expect(reads.fetched).toEqual([EXPORT_BATCH_ROWS]);

    client.abort();
    // Nothing more is read: the stream ends where it was.
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    expect(reads.fetched).toEqual([EXPORT_BATCH_ROWS]);
    const again = await Promise.all(Array.from({ length: MAX_EXPORTS_PER_USER }, () => exportFile(leaving, "?format=csv", leaving.viewer.token)));
    expect(again.map((each) => each.status)).toEqual(Array(MAX_EXPORTS_PER_USER).fill(200));
    await Promise.all(again.map((each) => each.body!.cancel()));
  });
});

describe("concurrent exports", () => {
  it("answers the third concurrent export of one user with 429 and Retry-After; a cancelled export frees its slot", async () => {
    const busy = await createTestOrg();
    const open = [await exportFile(busy, "?format=csv", busy.viewer.token), await exportFile(busy, "?format=json", busy.viewer.token)];
    expect(open.map((response) => response.status)).toEqual([200, 200]);

    const refused = await exportFile(busy, "?format=csv", busy.viewer.token);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await refused.json()) as { detail: unknown };
    expect(Object.keys(body)).toEqual(["detail"]);
    expect(body.detail).toMatch(new RegExp(`${MAX_EXPORTS_PER_USER} exports`));
    // The refusal is not an export: nothing is audited for it.
    expect(await exportAudits(busy)).toHaveLength(2);

    // Another user of the organization still has room.
    const admin = await exportFile(busy, "?format=csv", busy.admin.token);
    expect(admin.status).toBe(200);
    await admin.text();

    // The client went away: its slot is free at once.
    await open[0]!.body!.cancel();
    const replaced = await exportFile(busy, "?format=csv", busy.viewer.token);
    expect(replaced.status).toBe(200);
    await Promise.all([open[1]!.text(), replaced.text()]);
    const after = await Promise.all([exportFile(busy, "?format=csv", busy.viewer.token), exportFile(busy, "?format=csv", busy.viewer.token)]);
    expect(after.map((response) => response.status)).toEqual([200, 200]);
    await Promise.all(after.map((response) => response.text()));
  });

  it("allows at most MAX_EXPORTS_PER_ORG exports per organization, whatever the users", async () => {
    const crowded = await createTestOrg();
    const users = [crowded.admin, crowded.viewer, await createTestUser("viewer", { id: crowded.orgId })];
    const perUser = MAX_EXPORTS_PER_USER;
    const open: Response[] = [];
    for (const each of users.slice(0, Math.ceil(MAX_EXPORTS_PER_ORG / perUser))) {
      for (let index = 0; index < perUser && open.length < MAX_EXPORTS_PER_ORG; index++) open.push(await exportFile(crowded, "?format=csv", each.token));
    }
    expect(open.map((response) => response.status)).toEqual(Array(MAX_EXPORTS_PER_ORG).fill(200));

    const refused = await exportFile(crowded, "?format=csv", users[2]!.token);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/organization/);

    // Other organizations are unaffected.
    const elsewhere = await exportFile(org, "?format=csv");
    expect(elsewhere.status).toBe(200);
    await elsewhere.text();

    await Promise.all(open.map((response) => response.body!.cancel()));
    const freed = await exportFile(crowded, "?format=csv", users[2]!.token);
    expect(freed.status).toBe(200);
    await freed.text();
  });
});

describe("HEAD /api/audit-logs/export", () => {
  it("answers 405 rather than running (and auditing) an export whose body Next.js would never read", () => {
    const response = exportRoute.HEAD();
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET");
  });
});

describe("exports with a console session", () => {
  async function sessionExport(of: TestOrg, headers: Record<string, string>) {
    return call(exportRoute.GET, "GET", "/api/audit-logs/export?format=csv", { headers: { cookie: await sessionCookie(of.viewer.user), ...headers } });
  }

  it("refuses a request from another site with 403 and audits nothing", async () => {
    const site = await createTestOrg();
    const refusals: Record<string, string>[] = [
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { "sec-fetch-site": "cross-site", referer: "http://localhost/audit" },
      // No Sec-Fetch-Site (an old browser): only a Referer of this origin is enough.
      {},
      { referer: "https://evil.example/page" },
      { referer: "http://[" },
      { origin: "https://evil.example", referer: "http://localhost/audit" },
    ];
    for (const headers of refusals) {
      const response = await sessionExport(site, headers);
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(await response.json()).toEqual({ detail: "Not authorized" });
    }
    expect(await exportAudits(site)).toEqual([]);
  });

  it("accepts a navigation from this origin, a typed address and a same-origin Referer", async () => {
    const site = await createTestOrg();
    const accepted: Record<string, string>[] = [{ "sec-fetch-site": "same-origin" }, { "sec-fetch-site": "none" }, { referer: "http://localhost/audit?action=login" }];
    for (const headers of accepted) {
      const response = await sessionExport(site, headers);
      expect(response.status, JSON.stringify(headers)).toBe(200);
      expect(parseCsv(await response.text())[0]).toEqual(HEADER);
    }
    const audited = await exportAudits(site);
    expect(audited).toHaveLength(3);
    expect(audited.every((entry) => entry.user_email === site.viewer.user.email)).toBe(true);
  });

  it("leaves API tokens alone: a script's export works whatever its headers say", async () => {
    const response = await call(exportRoute.GET, "GET", "/api/audit-logs/export?format=csv", { token: org.viewer.token, headers: { "sec-fetch-site": "cross-site" } });
    expect(response.status).toBe(200);
    await response.text();
  });
});
