/**
 * The reference agent's check of each policy it receives (agent/policy-signature.ts), against documents signed as
 * the server signs them (lib/agent-policy/signatures.ts): what it applies, and each reason it refuses.
 */
import { describe, expect, it } from "vitest";
import { policyDocument as agentDocument, verifyPolicy, type PinnedKey, type ReceivedPolicy, type VerifierContext } from "@/agent/policy-signature";
import { policyDocument as serverDocument, type PolicyScope } from "@/lib/agent-policy/signatures";
import { endorsementPayload, keyPairFromSeed, signWith, type SigningKeyPair } from "@/lib/signing/keys";
import { ALERT_RULE, BLOCK_RULE } from "../agent-helpers";

const key = keyPairFromSeed("policy", Buffer.alloc(32, 1));
const nextKey = keyPairFromSeed("policy", Buffer.alloc(32, 2));
const stranger = keyPairFromSeed("policy", Buffer.alloc(32, 3));
const pinned = (pair: SigningKeyPair): PinnedKey => ({ keyId: pair.keyId, publicKey: pair.publicKey });

const SCOPE: PolicyScope = { orgId: "org_a", agentId: null, selector: null, highestVersion: 3 };
/** A policy as a frame carries it, signed by `signer` (the server's document builder). */
function signed(version = 3, scope: Partial<PolicyScope> = {}, signer = key): ReceivedPolicy {
  const policy = { policyVersion: `v${version}`, policyId: `pol_${version}`, name: `Version ${version}`, rules: [BLOCK_RULE, ALERT_RULE] };
  const fullScope = { ...SCOPE, highestVersion: version, ...scope };
  return { ...policy, scope: fullScope, signature: signWith(signer, serverDocument(policy, fullScope)) };
}
const context = (overrides: Partial<VerifierContext> = {}): VerifierContext => ({ pinned: pinned(key), orgId: "org_a", agentId: "agent-1", runningVersion: 2, ...overrides });
const endorsed = (by: SigningKeyPair, endorsement = signWith(by, endorsementPayload(nextKey)).value) => [{ keyId: nextKey.keyId, publicKey: nextKey.publicKey, endorsedBy: by.keyId, endorsement }];

describe("the agent's verification of a policy", () => {
  it("rebuilds exactly the document the server signs", () => {
    const policy = signed();
    expect(agentDocument(policy, policy.scope!)).toEqual(serverDocument({ policyVersion: "v3", policyId: "pol_3", name: "Version 3", rules: [BLOCK_RULE, ALERT_RULE] }, policy.scope!));
  });

  it("applies a policy signed by the pinned key, for its organization, newer than the one it runs", () => {
    expect(verifyPolicy(signed(), context())).toEqual({ ok: true, key: pinned(key), orgId: "org_a" });
    // The version it runs, again (a `rollout` or `labels` frame), and its own document (overrides) too.
    expect(verifyPolicy(signed(2), context())).toMatchObject({ ok: true });
    expect(verifyPolicy(signed(3, { agentId: "agent-1" }), context())).toMatchObject({ ok: true });
  });

  it("refuses an unsigned policy", () => {
    const { signature: _signature, scope: _scope, ...bare } = signed();
    expect(verifyPolicy(bare, context())).toEqual({ ok: false, reason: "unsigned policy" });
    expect(verifyPolicy({ ...signed(), signature: undefined }, context())).toEqual({ ok: false, reason: "unsigned policy" });
  });

  it("refuses a wrong signature, and any field changed after signing", () => {
    const policy = signed();
    const badSignature = { ...policy, signature: { ...policy.signature!, value: signed(4).signature!.value } };
    const tamperedRules = { ...policy, rules: [{ ...BLOCK_RULE, enabled: false }, ALERT_RULE] };
    const tamperedConfig = { ...policy, rules: [{ ...BLOCK_RULE, config: { ...BLOCK_RULE.config, threshold: 5000 } }, ALERT_RULE] };
    const dropped = { ...policy, rules: [ALERT_RULE] };
    const renamed = { ...policy, name: "Something else" };
    const widened = { ...policy, scope: { ...policy.scope!, selector: "ring=canary" } };
    for (const tampered of [badSignature, tamperedRules, tamperedConfig, dropped, renamed, widened]) {
      expect(verifyPolicy(tampered, context())).toEqual({ ok: false, reason: "bad signature: the policy is not the one that was signed" });
    }
  });

  it("refuses a key it does not know, and a key endorsed badly or by a key it does not trust", () => {
    expect(verifyPolicy(signed(3, {}, stranger), context())).toEqual({ ok: false, reason: `signed by an unknown key ${stranger.keyId}` });
    const byNext = signed(3, {}, nextKey);
    const forged = { ...byNext, signingKeys: endorsed(key, signWith(key, endorsementPayload(stranger)).value) };
    expect(verifyPolicy(forged, context())).toMatchObject({ ok: false, reason: expect.stringContaining("no valid endorsement by the pinned key") });
    const byStranger = { ...byNext, signingKeys: endorsed(stranger) };
    expect(verifyPolicy(byStranger, context())).toMatchObject({ ok: false, reason: expect.stringContaining("no valid endorsement") });
    // An endorsement whose key id does not match its public key.
    const mislabelled = { ...byNext, signingKeys: [{ ...endorsed(key)[0]!, publicKey: stranger.publicKey }] };
    expect(verifyPolicy(mislabelled, context())).toMatchObject({ ok: false });
  });

  it("accepts a rotated key endorsed by the pinned one, and answers the new key to pin", () => {
    const rotated = { ...signed(3, {}, nextKey), signingKeys: endorsed(key) };
    expect(verifyPolicy(rotated, context())).toEqual({ ok: true, key: pinned(nextKey), orgId: "org_a" });
    // Pinned to the new key, it needs the endorsement no more.
    expect(verifyPolicy(signed(3, {}, nextKey), context({ pinned: pinned(nextKey) }))).toMatchObject({ ok: true });
  });

  it("refuses a rollback: a policy issued before the version it runs", () => {
    expect(verifyPolicy(signed(1), context({ runningVersion: 2 }))).toEqual({ ok: false, reason: "rollback refused: issued when v1 was the newest version, older than the running v2" });
    // A rollback done right is a republish with a higher number; an aborted rollout's return is issued after it.
    expect(verifyPolicy(signed(4), context({ runningVersion: 3 }))).toMatchObject({ ok: true });
    expect(verifyPolicy(signed(2, { highestVersion: 3 }), context({ runningVersion: 3 }))).toMatchObject({ ok: true });
    // A version above what the document says was published is malformed.
    expect(verifyPolicy(signed(5, { highestVersion: 4 }), context())).toEqual({ ok: false, reason: "malformed version" });
  });

  it("refuses another organization's policy, and another agent's own", () => {
    expect(verifyPolicy(signed(3, { orgId: "org_b" }), context())).toMatchObject({ ok: false, reason: "signed for another organization (org_b)" });
    expect(verifyPolicy(signed(3, { agentId: "agent-2" }), context())).toMatchObject({ ok: false, reason: "signed for another agent (agent-2)" });
  });
});
