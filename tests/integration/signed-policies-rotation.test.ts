/**
 * Rotating the policy signing key (POLICY_SIGNING_KEY set to a new key, POLICY_SIGNING_KEY_PREVIOUS to the old one):
 * every signed policy carries the new key endorsed by the old one, so an agent that pinned the old key verifies the
 * endorsement, applies the policy and pins the new key; a key endorsed by no trusted key is refused.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import * as agentPolicyRoute from "@/app/api/policy/agent/[id]/route";
import * as enrollRoute from "@/app/api/agents/enroll/route";
import { verifyPolicy, type PinnedKey, type ReceivedPolicy } from "@/agent/policy-signature";
import { ALERT_RULE, BLOCK_RULE, createEnrollmentKey, openStream, publish } from "../agent-helpers";
import { call, createTestOrg } from "../helpers";
import type * as SigningKeys from "@/lib/signing/keys";

const seeds = vi.hoisted(() => ({ previous: Buffer.alloc(32, 1), current: Buffer.alloc(32, 2) }));

// The environment is read once per process, before a test file runs: the two keys are given here instead.
vi.mock("@/lib/signing/keys", async (original) => {
  const keys = await original<typeof SigningKeys>();
  return {
    ...keys,
    signingKey: (purpose: "audit" | "policy") => (purpose === "policy" ? keys.keyPairFromSeed("policy", seeds.current) : keys.signingKey(purpose)),
    previousPolicyKey: () => keys.keyPairFromSeed("policy", seeds.previous),
  };
});

const { keyPairFromSeed } = await import("@/lib/signing/keys");
const oldKey = keyPairFromSeed("policy", seeds.previous);
const newKey = keyPairFromSeed("policy", seeds.current);
const pinnedOld: PinnedKey = { keyId: oldKey.keyId, publicKey: oldKey.publicKey };

describe("a rotated policy signing key", () => {
  it("reaches an agent that pinned the old key, endorsed by it, on the stream and the GET", async () => {
    const org = await createTestOrg();
    await publish(org, [BLOCK_RULE]);
    const enrollmentKey = await createEnrollmentKey(org);
    const enrolled = ((await (await call(enrollRoute.POST, "POST", "/api/agents/enroll", { body: { enrollmentKey, hostname: "rotated" } })).json()) as { data: { agentId: string; orgId: string; token: string; policySigningKey: PinnedKey } }).data;
    // A new enrolment pins the new key at once.
    expect(enrolled.policySigningKey.keyId).toBe(newKey.keyId);

    const stream = await openStream(enrolled.token);
    const frame = (await stream.next())!.data as unknown as ReceivedPolicy;
    expect(frame.signature?.keyId).toBe(newKey.keyId);
    expect(frame.signingKeys).toEqual([{ keyId: newKey.keyId, publicKey: newKey.publicKey, endorsedBy: oldKey.keyId, endorsement: expect.any(String) }]);
    const context = { orgId: enrolled.orgId, agentId: enrolled.agentId, runningVersion: null };
    const verdict = verifyPolicy(frame, { ...context, pinned: pinnedOld });
    expect(verdict).toEqual({ ok: true, key: { keyId: newKey.keyId, publicKey: newKey.publicKey }, orgId: org.orgId });

    // Once it pinned the new key, it needs no endorsement.
    await publish(org, [ALERT_RULE]);
    const next = (await stream.next())!.data as unknown as ReceivedPolicy;
    expect(verifyPolicy({ ...next, signingKeys: undefined }, { ...context, pinned: verdict.ok ? verdict.key : pinnedOld, runningVersion: 1 })).toMatchObject({ ok: true });
    await stream.close();

    const got = ((await (await call(agentPolicyRoute.GET, "GET", `/api/policy/agent/${enrolled.agentId}`, { token: org.viewer.token, params: { id: enrolled.agentId } })).json()) as { data: ReceivedPolicy & { targetVersion: string } }).data;
    expect(verifyPolicy({ ...got, policyVersion: got.targetVersion }, { ...context, pinned: pinnedOld })).toMatchObject({ ok: true });

    // An endorsement that does not verify, or an agent that pinned some third key: refused.
    const forged = { ...frame, signingKeys: frame.signingKeys!.map((key) => ({ ...key, endorsement: Buffer.alloc(64, 7).toString("base64") })) };
    expect(verifyPolicy(forged, { ...context, pinned: pinnedOld })).toMatchObject({ ok: false, reason: expect.stringContaining("no valid endorsement") });
    const stranger = keyPairFromSeed("policy", randomBytes(32));
    expect(verifyPolicy(frame, { ...context, pinned: { keyId: stranger.keyId, publicKey: stranger.publicKey } })).toMatchObject({ ok: false, reason: expect.stringContaining("no valid endorsement") });
    expect(verifyPolicy({ ...frame, signingKeys: undefined }, { ...context, pinned: pinnedOld })).toMatchObject({ ok: false, reason: expect.stringContaining("unknown key") });
  });
});
