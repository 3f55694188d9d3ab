/**
 * How an agent checks a policy before it applies it (docs/agent-protocol.md, "Signed policies"). No code from the
 * server: Node's crypto and `canonicalize` (RFC 8785) only, so a third-party agent can copy it.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import canonicalize from "canonicalize";

export const POLICY_DOCUMENT_TYPE = "palisade.agent-policy.v1";

/** A key the agent trusts: pinned at enrolment (or given with --policy-key), or endorsed by one it trusted. */
export interface PinnedKey {
  keyId: string;
  publicKey: string;
}

export interface PolicyScope {
  orgId: string;
  agentId: string | null;
  selector: string | null;
  highestVersion: number;
}

/** A policy as a frame or `GET /api/policy/agent/:id` carries it (for the GET, `policyVersion` is `targetVersion`). */
export interface ReceivedPolicy {
  policyVersion: string | null;
  policyId: string | null;
  name: string | null;
  rules: unknown[];
  scope?: PolicyScope;
  signature?: { keyId: string; value: string };
  signingKeys?: { keyId: string; publicKey: string; endorsedBy: string; endorsement: string }[];
}

/** What the agent knows of itself when it checks a policy. */
export interface VerifierContext {
  pinned: PinnedKey;
  /** Null: not known yet (an agent started with --token); the first verified policy's organization is kept. */
  orgId: string | null;
  /** Null: not known (an agent started with --token): a document for one agent cannot be matched to it. */
  agentId: string | null;
  /** The version the agent runs (null: none yet). */
  runningVersion: number | null;
}

export type Verdict = { ok: true; key: PinnedKey; orgId: string } | { ok: false; reason: string };

// DER framing of an Ed25519 SubjectPublicKeyInfo, before its 32-byte key (RFC 8410).
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** A key's id: the first 16 hex digits of the SHA-256 of the raw 32-byte public key. */
export function keyIdOf(publicKey: string): string {
  return createHash("sha256").update(Buffer.from(publicKey, "base64")).digest("hex").slice(0, 16);
}

/** The exact bytes that are signed: the canonical JSON (RFC 8785) of the value, UTF-8. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value) ?? "", "utf8");
}

function verifies(publicKey: string, value: unknown, signature: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicKey, "base64")]), format: "der", type: "spki" });
    return verify(null, canonicalBytes(value), key, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

/** The document a policy's signature covers, rebuilt from what was received. */
export function policyDocument(policy: ReceivedPolicy, scope: PolicyScope) {
  return {
    type: POLICY_DOCUMENT_TYPE,
    orgId: scope.orgId,
    agentId: scope.agentId,
    selector: scope.selector,
    highestVersion: scope.highestVersion,
    version: policy.policyVersion,
    policyId: policy.policyId,
    name: policy.name,
    rules: policy.rules,
  };
}

/** "v3" -> 3; null -> null; anything else -> NaN (refused). */
export function versionNumber(version: string | null): number | null {
  if (version === null) return null;
  const match = /^v([1-9][0-9]{0,8})$/.exec(version);
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * The keys the agent may trust for this policy: the pinned one, and each key of `signingKeys` endorsed (signed
 * over `{purpose: "policy", keyId, publicKey}`) by a key already trusted, so a chain of rotations is followed.
 */
function trustedKeys(policy: ReceivedPolicy, pinned: PinnedKey): Map<string, PinnedKey> {
  const trusted = new Map([[pinned.keyId, pinned]]);
  const offered = policy.signingKeys ?? [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const key of offered) {
      const endorser = trusted.get(key.endorsedBy);
      if (trusted.has(key.keyId) || !endorser || keyIdOf(key.publicKey) !== key.keyId) continue;
      if (!verifies(endorser.publicKey, { purpose: "policy", keyId: key.keyId, publicKey: key.publicKey }, key.endorsement)) continue;
      trusted.set(key.keyId, { keyId: key.keyId, publicKey: key.publicKey });
      grew = true;
    }
  }
  return trusted;
}

/**
 * Whether to apply a policy. Refused: unsigned; for another organization or agent; signed by a key that is neither
 * pinned nor endorsed by the pinned key; a signature that does not match (tampered rules, name, version or scope);
 * or issued before the version the agent runs (a replayed older policy). On success, `key` is the key that signed
 * it: the agent pins it, so after a rotation it trusts the new key without the endorsement.
 */
export function verifyPolicy(policy: ReceivedPolicy, context: VerifierContext): Verdict {
  const { scope, signature } = policy;
  if (!scope || !signature || typeof signature.value !== "string" || typeof signature.keyId !== "string") return { ok: false, reason: "unsigned policy" };
  if (context.orgId !== null && scope.orgId !== context.orgId) return { ok: false, reason: `signed for another organization (${scope.orgId})` };
  if (scope.agentId !== null && context.agentId !== null && scope.agentId !== context.agentId) return { ok: false, reason: `signed for another agent (${scope.agentId})` };
  const key = trustedKeys(policy, context.pinned).get(signature.keyId);
  if (!key) {
    const offered = policy.signingKeys?.some((candidate) => candidate.keyId === signature.keyId);
    return { ok: false, reason: offered ? `key ${signature.keyId} has no valid endorsement by the pinned key ${context.pinned.keyId}` : `signed by an unknown key ${signature.keyId}` };
  }
  if (!verifies(key.publicKey, policyDocument(policy, scope), signature.value)) return { ok: false, reason: "bad signature: the policy is not the one that was signed" };
  const version = versionNumber(policy.policyVersion);
  if (Number.isNaN(version) || !Number.isInteger(scope.highestVersion) || (version ?? 0) > scope.highestVersion) return { ok: false, reason: "malformed version" };
  if (context.runningVersion !== null && scope.highestVersion < context.runningVersion) {
    return { ok: false, reason: `rollback refused: issued when v${scope.highestVersion} was the newest version, older than the running v${context.runningVersion}` };
  }
  return { ok: true, key, orgId: scope.orgId };
}
