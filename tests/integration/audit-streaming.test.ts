/**
 * Audit streaming to a SIEM: destinations through the API (admin, org-scoped, audited, secrets never shown), the SSRF
 * guard, and the delivery worker against a local receiver: order per organization, signatures, retries, dead letters
 * and replay, racing workers, restarts.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as destinationsRoute from "@/app/api/audit-logs/destinations/route";
import * as destinationRoute from "@/app/api/audit-logs/destinations/[id]/route";
import * as deliveriesRoute from "@/app/api/audit-logs/destinations/[id]/deliveries/route";
import * as replayRoute from "@/app/api/audit-logs/destinations/[id]/replay/route";
import { getDb } from "@/db";
import { claimDueDeliveries } from "@/db/queries/audit-deliveries";
import { auditDeliveries, auditDestinations, auditLogs } from "@/db/schema";
import { recordAudit } from "@/lib/audit/log";
import { isForbiddenAddress } from "@/lib/audit-streaming/address-guard";
import { DeliveryWorker, retryDelayMs } from "@/lib/audit-streaming/worker";
import { actorFor } from "@/lib/auth/principal";
import { env } from "@/lib/env";
import { createLogger, LOGGER_SINGLETON } from "@/lib/log";
import { dropProcessSingleton, processSingleton } from "@/lib/singleton";
import { call, createTestOrg, type TestOrg } from "../helpers";
import { signatureVerifies, TestReceiver } from "../siem-receiver";

const SECRET = "s3cret-shared-with-the-siem-0123456789";

interface DestinationJson {
  id: string;
  url: string;
  actions: string[] | null;
  enabled: boolean;
  health?: { lastDeliveredAt: string | null; lastFailedAt: string | null; lastError: string | null; lastStatus: number | null; pending: number; dead: number };
}

const savedAllowPrivate = env().WEBHOOK_ALLOW_PRIVATE;
let receiver: TestReceiver;
let org: TestOrg;
const workers: DeliveryWorker[] = [];

/** Retries within milliseconds, so a test sees a whole backoff sequence. */
function worker(options: ConstructorParameters<typeof DeliveryWorker>[0] = {}): DeliveryWorker {
  const created = new DeliveryWorker({ pollMs: 10, baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4, ...options });
  workers.push(created);
  return created;
}

beforeAll(async () => {
  receiver = await new TestReceiver().start();
});
afterAll(async () => {
  await receiver.stop();
  env().WEBHOOK_ALLOW_PRIVATE = savedAllowPrivate;
});
beforeEach(async () => {
  env().WEBHOOK_ALLOW_PRIVATE = true;
  receiver.received.length = 0;
  receiver.answer = () => 200;
  org = await createTestOrg();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((running) => running.stop()));
  // Nothing of this test is left to retry in the next one.
  await getDb().delete(auditDestinations).where(eq(auditDestinations.orgId, org.orgId));
});

async function createDestination(body: Record<string, unknown>, as: TestOrg = org) {
  const response = await call(destinationsRoute.POST, "POST", "/api/audit-logs/destinations", { token: as.admin.token, body });
  return { response, body: (await response.json()) as DestinationJson & { detail?: { loc: string[]; msg: string }[] | string } };
}

async function destination(body: Record<string, unknown> = {}): Promise<DestinationJson> {
  const created = await createDestination({ url: receiver.url(), secret: SECRET, ...body });
  expect(created.response.status).toBe(201);
  return created.body;
}

async function listDestinations(as: TestOrg = org): Promise<DestinationJson[]> {
  const response = await call(destinationsRoute.GET, "GET", "/api/audit-logs/destinations", { token: as.admin.token });
  expect(response.status).toBe(200);
  return (await response.json()) as DestinationJson[];
}

/** Audit rows written as the admin would cause them: `count` policy creations. */
async function audit(count: number, action: "create_policy" | "delete_policy" = "create_policy", as: TestOrg = org): Promise<void> {
  for (let index = 0; index < count; index++) {
    await recordAudit(actorFor(as.admin.user), { action, resource: `policy:p${index}`, details: `row ${index}`, success: true });
  }
}

async function deliveriesOf(destinationId: string) {
  return getDb().select().from(auditDeliveries).where(eq(auditDeliveries.destinationId, destinationId)).orderBy(auditDeliveries.chainPosition);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs rounds until the destination has nothing pending. */
async function drain(running: DeliveryWorker, destinationId: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await running.runOnce();
    if (!(await deliveriesOf(destinationId)).some((row) => row.state === "pending")) return;
    if (Date.now() > deadline) throw new Error("deliveries still pending");
    await sleep(5);
  }
}

/** Waits until the destination has nothing pending, while workers run on their own. */
async function settled(destinationId: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await deliveriesOf(destinationId)).some((row) => row.state === "pending")) {
    if (Date.now() > deadline) throw new Error("deliveries still pending");
    await sleep(20);
  }
}

describe("destinations API", () => {
  it("creates a destination (201) without ever returning its secret, and lists it with its delivery health", async () => {
    const created = await createDestination({ url: receiver.url(), secret: SECRET, actions: ["create_policy", "delete_policy"] });
    expect(created.response.status).toBe(201);
    expect(created.body).toMatchObject({ url: receiver.url(), actions: ["create_policy", "delete_policy"], enabled: true });
    const listed = await listDestinations();
    expect(listed).toHaveLength(1);
    expect(listed[0]!.health).toEqual({ lastDeliveredAt: null, lastFailedAt: null, lastError: null, lastStatus: null, pending: 0, dead: 0 });
    await audit(2);
    expect((await listDestinations())[0]!.health!.pending).toBe(2);
    for (const text of [JSON.stringify(created.body), JSON.stringify(listed)]) expect(text).not.toContain(SECRET);
  });

  it("changes, rotates, disables and deletes a destination, each audited without the secret", async () => {
    const { id } = await destination();
    const rotated = "a-brand-new-rotated-secret-987654321";
    const patch = (body: unknown) => call(destinationRoute.PATCH, "PATCH", `/api/audit-logs/destinations/${id}`, { token: org.admin.token, params: { id }, body });
    const changed = await patch({ actions: ["delete_policy"], secret: rotated, url: receiver.url("/other") });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ id, url: receiver.url("/other"), actions: ["delete_policy"], enabled: true });
    expect(((await (await patch({ enabled: false })).json()) as DestinationJson).enabled).toBe(false);
    expect(((await (await patch({ actions: null, enabled: true })).json()) as DestinationJson).actions).toBeNull();
    expect((await patch({})).status).toBe(422);
    const deleted = await call(destinationRoute.DELETE, "DELETE", `/api/audit-logs/destinations/${id}`, { token: org.admin.token, params: { id } });
    expect(deleted.status).toBe(200);
    expect(await listDestinations()).toEqual([]);

    const rows = await getDb().select().from(auditLogs).where(eq(auditLogs.orgId, org.orgId));
    const actions = rows.map((row) => row.action);
    expect(actions.filter((action) => action === "create_audit_destination")).toHaveLength(1);
    expect(actions.filter((action) => action === "update_audit_destination")).toHaveLength(3);
    expect(actions.filter((action) => action === "delete_audit_destination")).toHaveLength(1);
    expect(rows.find((row) => row.details.includes("secret rotated"))).toBeDefined();
    const everything = JSON.stringify(rows);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(rotated);
  });

  it("stores the secret sealed, not as sent", async () => {
    const { id } = await destination();
    const [row] = await getDb().select().from(auditDestinations).where(eq(auditDestinations.id, id));
    expect(row!.sealedSecret).not.toContain(SECRET);
  });

  it("refuses viewers (403), unknown actions and malformed URLs (422)", async () => {
    const asViewer = await call(destinationsRoute.POST, "POST", "/api/audit-logs/destinations", { token: org.viewer.token, body: { url: receiver.url(), secret: SECRET } });
    expect(asViewer.status).toBe(403);
    expect((await call(destinationsRoute.GET, "GET", "/api/audit-logs/destinations", { token: org.viewer.token })).status).toBe(403);
    for (const body of [
      { url: receiver.url(), secret: SECRET, actions: ["no_such_action"] },
      { url: receiver.url(), secret: SECRET, actions: [] },
      { url: "ftp://siem.example.com/", secret: SECRET },
      { url: "not a url", secret: SECRET },
      { url: "https://user:pass@siem.example.com/", secret: SECRET },
      { url: receiver.url(), secret: "short" },
      { url: receiver.url() },
    ]) {
      expect((await createDestination(body)).response.status, JSON.stringify(body)).toBe(422);
    }
    expect(await listDestinations()).toEqual([]);
  });

  it("answers 404 for another organization's destination, and leaves it untouched", async () => {
    const { id } = await destination({ actions: ["create_policy"] });
    const other = await createTestOrg();
    const params = { id };
    const asOther = { token: other.admin.token, params };
    expect((await call(destinationRoute.PATCH, "PATCH", `/api/audit-logs/destinations/${id}`, { ...asOther, body: { enabled: false, url: "http://127.0.0.1:1/x" } })).status).toBe(404);
    expect((await call(destinationRoute.DELETE, "DELETE", `/api/audit-logs/destinations/${id}`, asOther)).status).toBe(404);
    expect((await call(replayRoute.POST, "POST", `/api/audit-logs/destinations/${id}/replay`, { ...asOther, body: {} })).status).toBe(404);
    expect((await call(deliveriesRoute.GET, "GET", `/api/audit-logs/destinations/${id}/deliveries`, asOther)).status).toBe(404);
    expect(await listDestinations(other)).toEqual([]);
    const [mine] = await listDestinations();
    expect(mine).toMatchObject({ id, url: receiver.url(), enabled: true, actions: ["create_policy"] });
    // The other organization's audit rows are not sent to this organization's destination.
    await audit(3, "create_policy", other);
    expect(await deliveriesOf(id)).toHaveLength(0);
  });
});

describe("SSRF guard", () => {
  beforeEach(() => {
    env().WEBHOOK_ALLOW_PRIVATE = false;
  });

  it("refuses loopback, private, link-local, CGNAT, metadata and mapped addresses at creation, with a clear message", async () => {
    for (const url of [
      "https://127.0.0.1/",
      "https://10.1.2.3/",
      "https://172.16.0.9/",
      "https://192.168.1.1/",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/",
      "https://0.0.0.0/",
      "https://[::1]/",
      "https://[fd00::1]/",
      "https://[fe80::1]/",
      "https://[::ffff:127.0.0.1]/",
      "https://[::ffff:a9fe:a9fe]/",
      "https://localhost/",
    ]) {
      const { response, body } = await createDestination({ url, secret: SECRET });
      expect(response.status, url).toBe(422);
      const [problem] = body.detail as { loc: string[]; msg: string }[];
      expect(problem!.loc).toEqual(["body", "url"]);
      expect(problem!.msg).toMatch(/loopback, link-local or private address.*WEBHOOK_ALLOW_PRIVATE=true/);
    }
    expect(await listDestinations()).toEqual([]);
  });

  it("refuses plain http, and accepts a public https address", async () => {
    const http = await createDestination({ url: "http://203.0.113.10/siem", secret: SECRET });
    expect(http.response.status).toBe(422);
    expect(JSON.stringify(http.body)).toContain("https://");
    expect((await createDestination({ url: "https://203.0.113.10/siem", secret: SECRET })).response.status).toBe(201);
  });

  it("classifies addresses", () => {
    for (const address of ["127.0.0.1", "10.0.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.127.0.1", "0.1.2.3", "::1", "::", "fc00::1", "fe80::1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1"]) {
      expect(isForbiddenAddress(address), address).toBe(true);
    }
    for (const address of ["8.8.8.8", "203.0.113.10", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]) {
      expect(isForbiddenAddress(address), address).toBe(false);
    }
  });

  it("refuses again at delivery time: a destination allowed once is not reached when private addresses are no longer allowed", async () => {
    env().WEBHOOK_ALLOW_PRIVATE = true;
    const { id } = await destination();
    env().WEBHOOK_ALLOW_PRIVATE = false;
    await audit(1);
    await worker({ maxAttempts: 1 }).runOnce();
    expect(receiver.received).toHaveLength(0);
    const [row] = await deliveriesOf(id);
    expect(row!.state).toBe("dead");
    expect(row!.lastError).toMatch(/127\.0\.0\.1, a loopback, link-local or private address/);
    expect((await listDestinations())[0]!.health!.lastError).toMatch(/private address/);
  });
});

describe("delivery", () => {
  it("delivers every row in chain order, signed, with the row's chain position and hash", async () => {
    const { id } = await destination();
    await audit(10);
    await drain(worker(), id);
    const accepted = receiver.accepted();
    expect(accepted).toHaveLength(11); // the destination's own creation, then the ten rows
    const positions = accepted.map((request) => request.body.chain_position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions.at(-1)! - positions[0]!).toBe(10);
    const rows = await getDb().select().from(auditLogs).where(eq(auditLogs.orgId, org.orgId));
    for (const request of accepted) {
      expect(signatureVerifies(request.raw, request.headers["x-palisade-signature"], SECRET)).toBe(true);
      expect(signatureVerifies(request.raw, request.headers["x-palisade-signature"], "another-secret-entirely")).toBe(false);
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["x-palisade-delivery"]).toMatch(/^\d+$/);
      const row = rows.find((candidate) => candidate.chainPosition === request.body.chain_position)!;
      expect(request.body).toMatchObject({ id: `log-${row.seq}`, org_id: org.orgId, chain_position: row.chainPosition, hash: row.hash, action: row.action, resource: row.resource, user_email: org.admin.user.email, success: true });
    }
    const [listed] = await listDestinations();
    expect(listed!.health).toMatchObject({ pending: 0, dead: 0, lastStatus: 200 });
    expect(listed!.health!.lastDeliveredAt).not.toBeNull();
  });

  it("keeps the order when a row fails: later rows wait for it, and it is retried after a 500 until delivered", async () => {
    const { id } = await destination();
    await audit(5);
    // The third row fails twice with a 500.
    receiver.answer = ({ body, attempt }) => (body.resource === "policy:p2" && attempt <= 2 ? 500 : 200);
    await drain(worker(), id);
    const resources = receiver.received.map((request) => `${request.body.resource}:${request.status}`);
    expect(resources).toEqual([expect.stringMatching(/^audit-destination:/), "policy:p0:200", "policy:p1:200", "policy:p2:500", "policy:p2:500", "policy:p2:200", "policy:p3:200", "policy:p4:200"]);
    const rows = await deliveriesOf(id);
    expect(rows.every((row) => row.state === "delivered")).toBe(true);
    expect(rows.find((row) => row.attempts === 3)).toBeDefined();
  });

  it("gives up after the last attempt (dead), lists it in the dead letters, and delivers it on replay", async () => {
    const { id } = await destination();
    receiver.answer = () => 503;
    await audit(2);
    await drain(worker({ maxAttempts: 3 }), id);
    const dead = await call(deliveriesRoute.GET, "GET", `/api/audit-logs/destinations/${id}/deliveries?state=dead`, { token: org.admin.token, params: { id } });
    const letters = (await dead.json()) as { id: number; attempts: number; lastStatus: number; lastError: string; action: string }[];
    expect(letters).toHaveLength(3);
    expect(letters.every((letter) => letter.attempts === 3 && letter.lastStatus === 503 && letter.lastError === "HTTP 503")).toBe(true);
    expect((await listDestinations())[0]!.health).toMatchObject({ dead: 3, pending: 0, lastStatus: 503, lastError: "HTTP 503" });
    expect(receiver.received).toHaveLength(9);

    receiver.received.length = 0;
    receiver.answer = () => 200;
    const replayOne = await call(replayRoute.POST, "POST", `/api/audit-logs/destinations/${id}/replay`, { token: org.admin.token, params: { id }, body: { deliveryIds: [letters[1]!.id] } });
    expect(await replayOne.json()).toEqual({ replayed: 1, deliveryIds: [letters[1]!.id] });
    await drain(worker(), id);
    const letterIds = letters.map((letter) => letter.id);
    const sentLetters = () => receiver.accepted().map((request) => Number(request.headers["x-palisade-delivery"])).filter((delivery) => letterIds.includes(delivery));
    expect(sentLetters()).toEqual([letters[1]!.id]);
    // The replay's own audit row is streamed too, after the replayed row.
    expect(receiver.accepted().map((request) => request.body.action)).toEqual([letters[1]!.action, "replay_audit_deliveries"]);
    const replayAll = await call(replayRoute.POST, "POST", `/api/audit-logs/destinations/${id}/replay`, { token: org.admin.token, params: { id } });
    expect(((await replayAll.json()) as { replayed: number }).replayed).toBe(2);
    await drain(worker(), id);
    expect(sentLetters()).toEqual([letters[1]!.id, letters[0]!.id, letters[2]!.id]);
    expect((await deliveriesOf(id)).every((row) => row.state === "delivered")).toBe(true);
    const replays = await getDb().select().from(auditLogs).where(and(eq(auditLogs.orgId, org.orgId), eq(auditLogs.action, "replay_audit_deliveries")));
    expect(replays).toHaveLength(2);
  });

  it("does not follow redirects: a 3xx is a failure and the target is never asked", async () => {
    const { id } = await destination();
    receiver.answer = ({ path }) => (path === "/siem" ? { status: 302, headers: { Location: receiver.url("/elsewhere") } } : 200);
    await audit(1);
    await drain(worker({ maxAttempts: 2 }), id);
    expect(receiver.received.every((request) => request.path === "/siem")).toBe(true);
    const rows = await deliveriesOf(id);
    expect(rows.every((row) => row.state === "dead" && row.lastStatus === 302)).toBe(true);
    expect(rows[0]!.lastError).toMatch(/redirects are not followed/);
  });

  it("sends only the actions a destination takes, and nothing to a disabled destination", async () => {
    const filtered = await destination({ actions: ["delete_policy"] });
    const disabled = await destination();
    await call(destinationRoute.PATCH, "PATCH", `/api/audit-logs/destinations/${disabled.id}`, { token: org.admin.token, params: { id: disabled.id }, body: { enabled: false } });
    receiver.received.length = 0;
    await getDb().delete(auditDeliveries).where(eq(auditDeliveries.orgId, org.orgId));
    await audit(3, "create_policy");
    await audit(2, "delete_policy");
    await drain(worker(), filtered.id);
    expect(receiver.accepted().map((request) => request.body.action)).toEqual(["delete_policy", "delete_policy"]);
    expect(await deliveriesOf(disabled.id)).toHaveLength(0);
  });

  it("delivers each row once when two workers race (the normal case: no crash)", async () => {
    const { id } = await destination();
    const second = await destination();
    await audit(15);
    const first = worker({ pollMs: 1 });
    const other = worker({ pollMs: 1 });
    first.start();
    other.start();
    await settled(id);
    await settled(second.id);
    const deliveryIds = receiver.accepted().map((request) => request.headers["x-palisade-delivery"]);
    expect(deliveryIds).toHaveLength(33); // 16 rows to each, and the second destination's creation to the first
    expect(new Set(deliveryIds).size).toBe(33);
    // Each destination got its rows in chain order, whichever worker sent them.
    for (const destinationId of [id, second.id]) {
      const order = (await deliveriesOf(destinationId)).map((row) => row.deliveredAt!.getTime());
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it("survives a restart: a worker stopped mid-queue, then a new one, and everything arrives once", async () => {
    const { id } = await destination();
    await audit(20);
    // The receiver is slow, so the first worker is stopped with most of the queue left.
    receiver.answer = () => 200;
    const first = worker({ pollMs: 1 });
    first.start();
    while (receiver.accepted().length < 3) await sleep(5);
    await first.stop();
    const before = receiver.accepted().length;
    expect(before).toBeLessThan(21);
    const second = worker({ pollMs: 1 });
    second.start();
    await settled(id);
    const positions = receiver.accepted().map((request) => request.body.chain_position);
    expect(positions).toHaveLength(21);
    expect(new Set(positions).size).toBe(21);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it("retries a claim whose worker died before recording the outcome, once its lease ends (at-least-once)", async () => {
    const { id } = await destination();
    // A worker claims the head row and dies.
    const claimed = await claimDueDeliveries({ limit: 10, leaseSeconds: 1 });
    expect(claimed.filter((delivery) => delivery.destinationId === id)).toHaveLength(1);
    await worker().runOnce();
    expect(receiver.received).toHaveLength(0);
    await sleep(1100);
    await drain(worker(), id);
    expect(receiver.accepted()).toHaveLength(1);
    expect((await deliveriesOf(id))[0]).toMatchObject({ state: "delivered", attempts: 2 });
  });
});

describe("secrets", () => {
  it("never appear in the log, whatever happens: creation, rotation, failed and refused deliveries, bad input", async () => {
    let written = "";
    dropProcessSingleton(LOGGER_SINGLETON);
    processSingleton(LOGGER_SINGLETON, () => createLogger({ level: "trace", destination: { write: (line: string) => void (written += line) } }));
    try {
      const rotated = "rotated-secret-for-the-log-test-42";
      const { id } = await destination();
      receiver.answer = () => 500;
      await audit(1);
      await worker({ maxAttempts: 2 }).runOnce();
      await call(destinationRoute.PATCH, "PATCH", `/api/audit-logs/destinations/${id}`, { token: org.admin.token, params: { id }, body: { secret: rotated } });
      await createDestination({ url: "https://127.0.0.1:1/", secret: SECRET, actions: ["nope"] });
      env().WEBHOOK_ALLOW_PRIVATE = false;
      await drain(worker({ maxAttempts: 2 }), id);
      expect(written.length).toBeGreaterThan(0);
      expect(written).not.toContain(SECRET);
      expect(written).not.toContain(rotated);
    } finally {
      dropProcessSingleton(LOGGER_SINGLETON);
    }
  });
});

describe("retry delays", () => {
  it("grow exponentially with full jitter, up to the cap", () => {
    const options = { baseDelayMs: 10_000, maxDelayMs: 3_600_000 };
    expect(retryDelayMs(1, options, () => 0.999)).toBe(9_990);
    expect(retryDelayMs(3, options, () => 0.5)).toBe(20_000);
    expect(retryDelayMs(20, options, () => 0.999)).toBe(3_596_400);
    expect(retryDelayMs(5, options, () => 0)).toBe(0);
  });
});
