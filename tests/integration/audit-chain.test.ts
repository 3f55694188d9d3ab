import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as checkpointsRoute from "@/app/api/audit-logs/checkpoints/route";
import * as exportRoute from "@/app/api/audit-logs/export/route";
import * as keysRoute from "@/app/api/audit-logs/keys/route";
import * as auditLogs from "@/app/api/audit-logs/route";
import * as policyItem from "@/app/api/policies/[id]/route";
import { getDb, queryRows } from "@/db";
import { chainHash, GENESIS_HASH } from "@/lib/audit/chain";
import { chainUnchainedAuditRows } from "@/lib/audit/chain-service";
import { checkpointGrownChains, type CheckpointJson, type PublicKeyJson } from "@/lib/audit/checkpoints";
import { toVerifiableRow, verifyOrganizationChain } from "@/lib/audit/verify-service";
import { runCommand } from "@/lib/cli/commands";
import { randomHex } from "@/lib/ids";
import { keyIdOf, signingKey } from "@/lib/signing/keys";
import type { AuditLog } from "@/db/schema";
import { call, createTestOrg, type TestOrg } from "../helpers";

const exec = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), "palisade-audit-chain-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICIES = ["pol-mfa-required", "pol-network-zero-trust"];

/** A new organization with a chain of a dozen rows or so: its creation, then policy toggles. */
async function orgWithChain(toggles = 6): Promise<TestOrg> {
  const org = await createTestOrg();
  for (let i = 0; i < toggles; i++) {
    const id = POLICIES[i % POLICIES.length]!;
    await call(policyItem.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id } });
  }
  return org;
}

async function signCheckpoint(org: TestOrg): Promise<CheckpointJson> {
  const response = await call(checkpointsRoute.POST, "POST", "/api/audit-logs/checkpoints", { token: org.admin.token });
  expect(response.status).toBe(201);
  return (await response.json()) as CheckpointJson;
}

const run = (query: ReturnType<typeof sql>) => getDb().execute(query);

async function rowsOf(orgId: string): Promise<AuditLog[]> {
  return getDb().query.auditLogs.findMany({ where: (log, { eq }) => eq(log.orgId, orgId), orderBy: (log, { asc }) => asc(log.chainPosition) });
}

async function headOf(orgId: string) {
  const [head] = await queryRows<{ position: string | number; hash: string }>(getDb(), sql`select position, hash from audit_chain_heads where org_id = ${orgId}`);
  return { position: Number(head!.position), hash: head!.hash };
}

/** Moves a row to another position (the unique index forbids two rows at one position, even for a moment). */
async function moveRows(orgId: string, fromPosition: number, by: number) {
  await run(sql`update audit_logs set chain_position = -chain_position where org_id = ${orgId} and chain_position >= ${fromPosition}`);
  await run(sql`update audit_logs set chain_position = -chain_position + ${by} where org_id = ${orgId} and chain_position < 0`);
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCommand(argv, { out: (line) => out.push(line), err: (line) => err.push(line), stdin: "" });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("signed checkpoints", () => {
  let org: TestOrg;
  beforeAll(async () => {
    org = await orgWithChain();
  });

  it("signs the head on demand, records it as an audit row, and lists checkpoints newest first", async () => {
    const head = await headOf(org.orgId);
    const checkpoint = await signCheckpoint(org);
    expect(checkpoint).toMatchObject({ orgId: org.orgId, position: head.position, hash: head.hash, keyId: signingKey("audit").keyId });
    const [row] = (await (await call(auditLogs.GET, "GET", "/api/audit-logs?action=sign_audit_checkpoint", { token: org.viewer.token })).json()) as {
      after: unknown;
      chain_position: number;
      hash: string;
    }[];
    expect(row).toMatchObject({ after: checkpoint, chain_position: head.position + 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const second = await signCheckpoint(org);
    expect(second.position).toBe(head.position + 1);
    const listed = await call(checkpointsRoute.GET, "GET", "/api/audit-logs/checkpoints?limit=1", { token: org.viewer.token });
    expect(await listed.json()).toEqual([second]);
    const next = /<http:\/\/localhost([^>]+)>; rel="next"/.exec(listed.headers.get("link") ?? "")?.[1];
    expect(next).toBeDefined();
    expect(await (await call(checkpointsRoute.GET, "GET", next!, { token: org.viewer.token })).json()).toEqual([checkpoint]);
  });

  it("refuses viewers, and answers 409 on an empty chain", async () => {
    const refused = await call(checkpointsRoute.POST, "POST", "/api/audit-logs/checkpoints", { token: org.viewer.token });
    expect(refused.status).toBe(403);
    const orgId = `org_${randomHex(8)}`;
    await run(sql`insert into organizations (id, name) values (${orgId}, ${`empty-${orgId}`})`);
    await run(sql`insert into org_counters (org_id) values (${orgId})`);
    const { signAuditCheckpoint } = await import("@/lib/audit/checkpoints");
    await expect(signAuditCheckpoint({ actor: { orgId, userId: null, email: null } })).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/nothing to sign/) });
  });

  it("serves the audit public keys to any signed-in user", async () => {
    const response = await call(keysRoute.GET, "GET", "/api/audit-logs/keys", { token: org.viewer.token });
    expect(response.status).toBe(200);
    const keys = (await response.json()) as PublicKeyJson[];
    const current = signingKey("audit");
    expect(keys).toContainEqual({ keyId: current.keyId, algorithm: "Ed25519", publicKey: current.publicKey, createdAt: expect.any(String) });
    expect(keys.every((key) => keyIdOf(key.publicKey) === key.keyId && Buffer.from(key.publicKey, "base64").length === 32)).toBe(true);
  });

  it("periodically checkpoints chains that grew, and leaves an idle chain alone despite its checkpoint rows", async () => {
    const grown = await orgWithChain(1);
    await checkpointGrownChains();
    const first = (await (await call(checkpointsRoute.GET, "GET", "/api/audit-logs/checkpoints", { token: grown.viewer.token })).json()) as CheckpointJson[];
    expect(first).toHaveLength(1);
    await checkpointGrownChains();
    await checkpointGrownChains();
    const idle = (await (await call(checkpointsRoute.GET, "GET", "/api/audit-logs/checkpoints", { token: grown.viewer.token })).json()) as CheckpointJson[];
    expect(idle).toEqual(first);
    await call(policyItem.PATCH, "PATCH", "/api/policies/pol-mfa-required", { token: grown.admin.token, params: { id: "pol-mfa-required" } });
    await checkpointGrownChains();
    const after = (await (await call(checkpointsRoute.GET, "GET", "/api/audit-logs/checkpoints", { token: grown.viewer.token })).json()) as CheckpointJson[];
    expect(after).toHaveLength(2);
    expect(after[0]!.position).toBe(first[0]!.position + 2);
    expect((await verifyOrganizationChain({ orgId: grown.orgId })).ok).toBe(true);
  });
});

describe("the verifier finds each kind of tampering at its position", () => {
  it("verifies an untouched chain with its checkpoints", async () => {
    const org = await orgWithChain();
    await signCheckpoint(org);
    await call(policyItem.PATCH, "PATCH", "/api/policies/pol-mfa-required", { token: org.admin.token, params: { id: "pol-mfa-required" } });
    const result = await verifyOrganizationChain({ orgId: org.orgId });
    expect(result).toMatchObject({ ok: true, problem: null, checkpointsVerified: 1, position: (await headOf(org.orgId)).position });
  });

  it("edited: a row's details changed", async () => {
    const org = await orgWithChain();
    await run(sql`update audit_logs set details = 'nothing happened' where org_id = ${org.orgId} and chain_position = 4`);
    expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "edited", position: 4 });
  });

  it("deleted: a row removed", async () => {
    const org = await orgWithChain();
    await run(sql`delete from audit_logs where org_id = ${org.orgId} and chain_position = 5`);
    expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "deleted", position: 5 });
  });

  it("inserted: a row slipped in, the rows after it moved up", async () => {
    const org = await orgWithChain();
    await moveRows(org.orgId, 4, 1);
    await run(sql`insert into audit_logs (org_id, action, resource, details, success, chain_position, hash)
                  values (${org.orgId}, 'toggle_policy', 'policy:pol-mfa-required', 'Policy enabled', true, 4, ${randomBytes(32).toString("hex")})`);
    await run(sql`update audit_chain_heads set position = position + 1 where org_id = ${org.orgId}`);
    expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "inserted", position: 4 });
  });

  it("inserted: a row appended with a correct hash, but the head left alone", async () => {
    const org = await orgWithChain();
    const head = await headOf(org.orgId);
    const forged = { orgId: org.orgId, chainPosition: head.position + 1, createdAt: new Date(), userId: null, userEmail: null, action: "login", resource: "user:x", details: "x", success: true, ip: null, userAgent: null, before: null, after: null };
    await run(sql`insert into audit_logs (org_id, action, resource, details, success, "timestamp", chain_position, hash)
                  values (${org.orgId}, 'login', 'user:x', 'x', true, ${forged.createdAt.toISOString()}::timestamptz, ${forged.chainPosition}, ${chainHash(head.hash, forged)})`);
    // Read from the database: past the head, even as it stands after the rows were read.
    expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "inserted", position: head.position + 1 });
    const { verifyAuditChain } = await import("@/lib/audit/verify");
    const result = await verifyAuditChain({ orgId: org.orgId, rows: (await rowsOf(org.orgId)).map(toVerifiableRow), checkpoints: [], keys: [], head });
    expect(result.problem).toMatchObject({ kind: "inserted", position: head.position + 1 });
  });

  it("reordered: two rows' positions swapped", async () => {
    const org = await orgWithChain();
    await run(sql`update audit_logs set chain_position = -1 where org_id = ${org.orgId} and chain_position = 6`);
    await run(sql`update audit_logs set chain_position = 6 where org_id = ${org.orgId} and chain_position = 7`);
    await run(sql`update audit_logs set chain_position = 7 where org_id = ${org.orgId} and chain_position = -1`);
    expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "reordered", position: 6 });
  });

  it("unchained: a row written outside the chain", async () => {
    const org = await orgWithChain();
    await run(sql`insert into audit_logs (org_id, action, resource, details, success) values (${org.orgId}, 'login', 'user:ghost', 'Signed in', true)`);
    const head = await headOf(org.orgId);
    expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "unchained", position: head.position + 1 });
  });

  it("truncated: the tail removed with the head reset is caught by a checkpoint kept elsewhere", async () => {
    const org = await orgWithChain();
    const kept = await signCheckpoint(org);
    const keptFile = path.join(dir, `checkpoint-${org.orgId}.json`);
    writeFileSync(keptFile, JSON.stringify(kept));
    const rows = await rowsOf(org.orgId);
    const survivor = rows[7]!;
    await run(sql`delete from audit_logs where org_id = ${org.orgId} and chain_position > ${survivor.chainPosition}`);
    await run(sql`delete from audit_checkpoints where org_id = ${org.orgId}`);
    await run(sql`update audit_chain_heads set position = ${survivor.chainPosition}, hash = ${survivor.hash} where org_id = ${org.orgId}`);

    // Consistent inside the database: only the checkpoint kept outside it tells.
    expect((await verifyOrganizationChain({ orgId: org.orgId })).ok).toBe(true);
    const result = await cli("audit", "verify", "--org", org.orgName, "--from-checkpoint", keptFile);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`Chain broken at position ${survivor.chainPosition! + 1}: truncated`);
  });

  it("truncated: the tail removed while the head table still counts it", async () => {
    const org = await orgWithChain();
    const head = await headOf(org.orgId);
    await run(sql`delete from audit_logs where org_id = ${org.orgId} and chain_position > ${head.position - 2}`);
    expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "truncated", position: head.position - 1 });
  });

  it("bad checkpoint signature: a checkpoint forged in the database", async () => {
    const org = await orgWithChain();
    const checkpoint = await signCheckpoint(org);
    await run(sql`update audit_checkpoints set hash = ${randomBytes(32).toString("hex")} where org_id = ${org.orgId} and position = ${checkpoint.position}`);
    expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "bad_checkpoint_signature", position: checkpoint.position });
  });

  it("checkpoint mismatch: the chain rewritten, every later hash recomputed, before a genuine checkpoint", async () => {
    const org = await orgWithChain();
    const checkpoint = await signCheckpoint(org);
    await run(sql`update audit_logs set details = 'rewritten' where org_id = ${org.orgId} and chain_position = 3`);
    // The attacker recomputes every hash from there on, so every row links: only the signed checkpoint disagrees.
    let previous = GENESIS_HASH;
    for (const row of await rowsOf(org.orgId)) {
      const hash = chainHash(previous, { ...row, chainPosition: row.chainPosition! });
      await run(sql`update audit_logs set hash = ${hash} where seq = ${row.seq}`);
      previous = hash;
    }
    await run(sql`update audit_chain_heads set hash = ${previous} where org_id = ${org.orgId}`);
    expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "checkpoint_mismatch", position: checkpoint.position });
  });

  it("a replaced key: checkpoints fail against the listed key, and a pinned keys file trusts only its own", async () => {
    const org = await orgWithChain();
    const checkpoint = await signCheckpoint(org);
    const genuineKeys = path.join(dir, `keys-${org.orgId}.json`);
    writeFileSync(genuineKeys, JSON.stringify(await (await call(keysRoute.GET, "GET", "/api/audit-logs/keys", { token: org.viewer.token })).json()));
    const attacker = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
    const attackerKeys = path.join(dir, `attacker-keys-${org.orgId}.json`);
    writeFileSync(attackerKeys, JSON.stringify([{ keyId: keyIdOf(attacker), publicKey: attacker }]));

    const pinnedElsewhere = await cli("audit", "verify", "--org", org.orgName, "--keys", attackerKeys);
    expect(pinnedElsewhere.code).toBe(1);
    expect(pinnedElsewhere.err).toContain(`Chain broken at position ${checkpoint.position}: bad_checkpoint_signature`);

    const keyId = signingKey("audit").keyId;
    try {
      await run(sql`update signing_keys set public_key = ${attacker} where key_id = ${keyId}`);
      expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "bad_checkpoint_signature", position: checkpoint.position });
      // Pinned genuine keys still verify the chain: the database's copy does not matter then.
      expect((await cli("audit", "verify", "--org", org.orgName, "--keys", genuineKeys)).code).toBe(0);
    } finally {
      await run(sql`update signing_keys set public_key = ${signingKey("audit").publicKey} where key_id = ${keyId}`);
    }
  });
});

describe("the chain under load, across organizations, and from before the chain", () => {
  it("30 parallel audited writes in one organization leave a gap-free, valid chain", async () => {
    const org = await orgWithChain(0);
    const before = (await headOf(org.orgId)).position;
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const id = POLICIES[i % 2]!;
        return call(policyItem.PATCH, "PATCH", `/api/policies/${id}`, { token: org.admin.token, params: { id } });
      }),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(30).fill(200));
    const rows = await rowsOf(org.orgId);
    expect(rows.map((row) => row.chainPosition)).toEqual(Array.from({ length: before + 30 }, (_, i) => i + 1));
    expect((await headOf(org.orgId)).position).toBe(before + 30);
    expect(await verifyOrganizationChain({ orgId: org.orgId })).toMatchObject({ ok: true, position: before + 30 });
  });

  it("tampering with one organization leaves another's checkpoints, keys and verification untouched", async () => {
    const [tampered, other] = [await orgWithChain(), await orgWithChain()];
    const otherCheckpoint = await signCheckpoint(other);
    const otherRows = await rowsOf(other.orgId);
    await signCheckpoint(tampered);
    await run(sql`update audit_logs set details = 'x' where org_id = ${tampered.orgId} and chain_position = 2`);
    expect((await verifyOrganizationChain({ orgId: tampered.orgId })).ok).toBe(false);
    expect(await verifyOrganizationChain({ orgId: other.orgId })).toMatchObject({ ok: true, checkpointsVerified: 1 });
    expect(await (await call(checkpointsRoute.GET, "GET", "/api/audit-logs/checkpoints", { token: other.viewer.token })).json()).toEqual([otherCheckpoint]);
    expect(await rowsOf(other.orgId)).toEqual(otherRows);
    // Another organization's checkpoint kept elsewhere is refused, not trusted.
    const foreign = await verifyOrganizationChain({ orgId: other.orgId, extraCheckpoints: [{ ...otherCheckpoint, orgId: tampered.orgId }] });
    expect(foreign.problem).toMatchObject({ kind: "bad_checkpoint_signature" });
  });

  it("rows from before the chain are chained in order at start, and verify", async () => {
    const org = await orgWithChain(2);
    const head = await headOf(org.orgId);
    for (let i = 0; i < 5; i++) {
      await run(sql`insert into audit_logs (org_id, action, resource, details, success) values (${org.orgId}, 'login', ${`user:old-${i}`}, 'Signed in', true)`);
    }
    expect((await verifyOrganizationChain({ orgId: org.orgId })).problem).toMatchObject({ kind: "unchained" });
    expect(await chainUnchainedAuditRows()).toBeGreaterThanOrEqual(5);
    const rows = await rowsOf(org.orgId);
    expect(rows.slice(-5).map((row) => [row.chainPosition, row.resource])).toEqual(Array.from({ length: 5 }, (_, i) => [head.position + 1 + i, `user:old-${i}`]));
    expect(await verifyOrganizationChain({ orgId: org.orgId })).toMatchObject({ ok: true, position: head.position + 5 });
  });
});

describe("exports and the offline verifier", () => {
  const tsx = path.resolve("node_modules/.bin/tsx");
  const offline = (...args: string[]) =>
    exec(tsx, ["scripts/verify-audit-export.ts", ...args]).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  async function exported(org: TestOrg, query = "") {
    const response = await call(exportRoute.GET, "GET", `/api/audit-logs/export?format=verifiable${query}`, { token: org.viewer.token });
    expect(response.status).toBe(200);
    return (await response.json()) as { orgId: string; complete: boolean; filtered: boolean; entries: { id: string; details: string; chain_position: number; hash: string }[]; checkpoints: CheckpointJson[]; keys: PublicKeyJson[] };
  }

  it("verifies an export with no server, and finds an entry edited in the file", async () => {
    const org = await orgWithChain();
    const checkpoint = await signCheckpoint(org);
    const file = await exported(org);
    expect(file).toMatchObject({ orgId: org.orgId, complete: true, filtered: false, checkpoints: [checkpoint] });
    expect(file.keys.map((key) => key.keyId)).toContain(checkpoint.keyId);
    expect(file.entries.every((entry) => typeof entry.chain_position === "number" && /^[0-9a-f]{64}$/.test(entry.hash))).toBe(true);

    const good = path.join(dir, `export-${org.orgId}.json`);
    writeFileSync(good, JSON.stringify(file));
    const verified = await offline(good);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`Verified: ${file.entries.length} rows chained, signed up to checkpoint at position ${checkpoint.position}`);

    const entries = file.entries.map((entry) => (entry.chain_position === 3 ? { ...entry, details: "edited in the file" } : entry));
    const edited = path.join(dir, `edited-${org.orgId}.json`);
    writeFileSync(edited, JSON.stringify({ ...file, entries }));
    const broken = await offline(edited);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("Chain broken at position 3: edited");

    const keys = path.join(dir, `pinned-${org.orgId}.json`);
    writeFileSync(keys, JSON.stringify([{ keyId: "0000000000000000", publicKey: randomBytes(32).toString("base64") }]));
    const wrongKeys = await offline(good, "--keys", keys);
    expect(wrongKeys.code).toBe(1);
    expect(wrongKeys.stdout).toContain(`Chain broken at position ${checkpoint.position}: bad_checkpoint_signature`);
  }, 60_000);

  it("says clearly that a filtered export cannot verify the chain", async () => {
    const org = await orgWithChain();
    const file = await exported(org, "&action=toggle_policy");
    expect(file).toMatchObject({ filtered: true, complete: false });
    const filtered = path.join(dir, `filtered-${org.orgId}.json`);
    writeFileSync(filtered, JSON.stringify(file));
    const result = await offline(filtered);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("a filtered export");
  }, 60_000);

  it("verifies the stretch of the chain a partial export holds, and says what it cannot check", async () => {
    const org = await orgWithChain();
    await signCheckpoint(org);
    const file = await exported(org, "&limit=5");
    expect(file).toMatchObject({ filtered: false, complete: false });
    const positions = file.entries.map((entry) => entry.chain_position).sort((a, b) => a - b);
    const partial = path.join(dir, `partial-${org.orgId}.json`);
    writeFileSync(partial, JSON.stringify(file));
    const verified = await offline(partial);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`Partial export: it holds positions ${positions[0]} to ${positions.at(-1)} only.`);

    const middle = positions[2]!;
    const entries = file.entries.map((entry) => (entry.chain_position === middle ? { ...entry, details: "edited in the file" } : entry));
    writeFileSync(partial, JSON.stringify({ ...file, entries }));
    const broken = await offline(partial);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`Chain broken at position ${middle}: edited`);
  }, 60_000);

  it("CLI: audit verify and audit checkpoint report per organization", async () => {
    const org = await orgWithChain();
    const signed = await cli("audit", "checkpoint", "--org", org.orgName);
    expect(signed.code).toBe(0);
    expect(signed.out).toMatch(/Signed checkpoint of .* at position \d+/);
    const verified = await cli("audit", "verify", "--org", org.orgName);
    expect(verified).toMatchObject({ code: 0, out: expect.stringContaining("Verified:") });
    await run(sql`delete from audit_logs where org_id = ${org.orgId} and chain_position = 2`);
    const broken = await cli("audit", "verify", "--org", org.orgName);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain("Chain broken at position 2: deleted");
    expect((await cli("audit", "verify", "--org", org.orgName, "--keys", path.join(dir, "missing.json"))).code).toBe(2);
  });
});

describe("the console's chain state", () => {
  it("extends a verified result by new rows only, and a full pass finds tampering with an old row", async () => {
    const { auditChainStatus, forgetAuditChainStatus } = await import("@/lib/audit/chain-status");
    const org = await orgWithChain();
    const first = await auditChainStatus(org.orgId);
    expect(first.result).toMatchObject({ ok: true, position: (await headOf(org.orgId)).position });
    // Fresh: the same result, not a new pass.
    expect(await auditChainStatus(org.orgId)).toBe(first);

    await signCheckpoint(org);
    await run(sql`update audit_logs set details = 'x' where org_id = ${org.orgId} and chain_position = 2`);
    forgetAuditChainStatus(org.orgId);
    // Incremental: only the rows after the verified position are read, so the old row's change waits for a full pass.
    const incremental = await auditChainStatus(org.orgId);
    expect(incremental.result).toMatchObject({ ok: true, position: (await headOf(org.orgId)).position, checkpointsVerified: 1 });
    expect(incremental.fullPassAt).toEqual(first.fullPassAt);

    const full = await auditChainStatus(org.orgId, { full: true });
    expect(full.result.problem).toMatchObject({ kind: "edited", position: 2 });
  });

  it("a pass the page stopped waiting for goes on, and the next view shows its result rather than starting another", async () => {
    const { auditChainStatus, auditChainStatusWithin } = await import("@/lib/audit/chain-status");
    const org = await orgWithChain(1);
    // Null when the pass outlasts the wait (timing decides on so small a chain); either way the pass is shared.
    const early = await auditChainStatusWithin(org.orgId, 0);
    const finished = await auditChainStatus(org.orgId);
    if (early) expect(early).toBe(finished);
    expect(finished.result.ok).toBe(true);
    expect(await auditChainStatusWithin(org.orgId, 0)).toBe(finished);
  });
});
