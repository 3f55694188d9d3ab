/** The console's Audit streaming page: its server actions, as the browser calls them, against the real database. */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb } from "@/db";
import { listAuditDestinations } from "@/db/queries/audit-destinations";
import { auditDeliveries, auditDestinations, auditLogs } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import { actorFor } from "@/lib/auth/principal";
import { env } from "@/lib/env";
import { consoleSession } from "../console-session";
import { createTestOrg, type TestOrg } from "../helpers";

vi.mock("@/lib/auth/session", async (importOriginal) => (await import("../console-session")).sessionAsConsoleUser(importOriginal));
vi.mock("next/cache", () => ({ revalidatePath: vi.fn(), refresh: vi.fn() }));

const { createDestinationAction, deleteDestinationAction, editDestinationAction, replayAction, setDestinationEnabledAction } = await import("@/app/(console)/settings/audit-streaming/actions");

const SECRET = "console-entered-secret-0123456789";
const saved = env().WEBHOOK_ALLOW_PRIVATE;
let org: TestOrg;

const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
};

beforeEach(async () => {
  env().WEBHOOK_ALLOW_PRIVATE = false;
  org = await createTestOrg();
  consoleSession.user = org.admin.user;
});
afterAll(() => {
  env().WEBHOOK_ALLOW_PRIVATE = saved;
});

async function sealedSecretOf(id: string): Promise<string> {
  const [row] = await getDb().select().from(auditDestinations).where(eq(auditDestinations.id, id));
  return row!.sealedSecret;
}

describe("audit streaming in the console", () => {
  it("adds a destination with actions typed as a list, and never shows or records the secret", async () => {
    const result = await createDestinationAction(undefined, form({ url: "https://203.0.113.10/siem?token=abc", secret: SECRET, actions: "delete_policy, login_failed\nlogin_failed" }));
    expect(result).toEqual({ success: "Added https://203.0.113.10/siem?token=abc" });
    const [listed] = await listAuditDestinations({ orgId: org.orgId });
    expect(listed).toMatchObject({ url: "https://203.0.113.10/siem?token=abc", actions: ["delete_policy", "login_failed"], enabled: true });
    expect(JSON.stringify(listed)).not.toContain(SECRET);
    const rows = await getDb().select().from(auditLogs).where(and(eq(auditLogs.orgId, org.orgId), eq(auditLogs.action, "create_audit_destination")));
    expect(rows).toHaveLength(1);
    // The audit row names the URL without its query string, which may hold a receiver's token.
    expect(rows[0]!.details).toBe("Added audit streaming destination https://203.0.113.10/siem (delete_policy, login_failed)");
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    expect(JSON.stringify(rows)).not.toContain("token=abc");
  });

  it("names the bad field: an unknown action, a private address, a short secret", async () => {
    const unknown = await createDestinationAction(undefined, form({ url: "https://203.0.113.10/", secret: SECRET, actions: "delete_policy nope" }));
    expect(unknown.fields).toEqual({ "actions.1": "nope is not a known audit action" });
    const ssrf = await createDestinationAction(undefined, form({ url: "https://169.254.169.254/latest", secret: SECRET, actions: "" }));
    expect(ssrf.fields?.url).toMatch(/169\.254\.169\.254, a loopback, link-local or private address/);
    const short = await createDestinationAction(undefined, form({ url: "https://203.0.113.10/", secret: "short", actions: "" }));
    expect(Object.keys(short.fields ?? {})).toEqual(["secret"]);
    expect(await listAuditDestinations({ orgId: org.orgId })).toEqual([]);
  });

  it("edits, rotates the secret only when a new one is entered, disables, enables and deletes", async () => {
    await createDestinationAction(undefined, form({ url: "https://203.0.113.10/a", secret: SECRET, actions: "" }));
    const { id } = (await listAuditDestinations({ orgId: org.orgId }))[0]!;
    const sealed = await sealedSecretOf(id);
    expect(await editDestinationAction(undefined, form({ id, url: "https://203.0.113.11/b", actions: "create_policy", secret: "" }))).toEqual({ success: "Saved" });
    expect(await sealedSecretOf(id)).toBe(sealed);
    expect(await editDestinationAction(undefined, form({ id, url: "https://203.0.113.11/b", actions: "", secret: "a-rotated-secret-from-the-console" }))).toEqual({ success: "Saved; the secret was rotated" });
    expect(await sealedSecretOf(id)).not.toBe(sealed);
    expect(await setDestinationEnabledAction(undefined, { id, enabled: false })).toEqual({ success: "Disabled" });
    expect((await listAuditDestinations({ orgId: org.orgId }))[0]).toMatchObject({ url: "https://203.0.113.11/b", actions: null, enabled: false });
    expect(await setDestinationEnabledAction(undefined, { id, enabled: true })).toEqual({ success: "Enabled" });
    expect(await deleteDestinationAction(undefined, { id })).toEqual({ success: "Deleted" });
    expect(await listAuditDestinations({ orgId: org.orgId })).toEqual([]);
    const details = (await getDb().select().from(auditLogs).where(and(eq(auditLogs.orgId, org.orgId), eq(auditLogs.action, "update_audit_destination")))).map((row) => row.details);
    expect(details).toEqual(expect.arrayContaining([expect.stringContaining("secret rotated"), expect.stringContaining("disabled"), expect.stringContaining("enabled")]));
    expect(JSON.stringify(details)).not.toContain("a-rotated-secret-from-the-console");
  });

  it("replays one dead letter, or all; refuses viewers and another organization's destination", async () => {
    await createDestinationAction(undefined, form({ url: "https://203.0.113.10/", secret: SECRET, actions: "" }));
    const { id } = (await listAuditDestinations({ orgId: org.orgId }))[0]!;
    for (let index = 0; index < 2; index++) await recordAudit(actorFor(org.admin.user), { action: "create_policy", resource: `policy:p${index}`, details: "x", success: true });
    await getDb().update(auditDeliveries).set({ state: "dead", attempts: 12 }).where(eq(auditDeliveries.destinationId, id));
    const dead = await getDb().select().from(auditDeliveries).where(eq(auditDeliveries.destinationId, id)).orderBy(auditDeliveries.id);
    expect(dead).toHaveLength(3);

    expect(await replayAction(undefined, { id, deliveryId: dead[1]!.id })).toEqual({ success: "Replayed 1" });
    const other = await createTestOrg();
    consoleSession.user = other.admin.user;
    expect(await replayAction(undefined, { id })).toEqual({ error: "Destination not found" });
    expect(await deleteDestinationAction(undefined, { id })).toEqual({ error: "Destination not found" });
    consoleSession.user = org.viewer.user;
    expect(await replayAction(undefined, { id })).toEqual({ error: "Not authorized: only admins can do this." });
    consoleSession.user = org.admin.user;
    expect(await replayAction(undefined, { id })).toEqual({ success: "Replayed 2" });
    const states = (await getDb().select().from(auditDeliveries).where(eq(auditDeliveries.destinationId, id))).filter((row) => dead.some((letter) => letter.id === row.id));
    expect(states.every((row) => row.state === "pending" && row.attempts === 0)).toBe(true);
    expect(await listAuditDestinations({ orgId: org.orgId })).toHaveLength(1);
  });
});
