import "server-only";
import { endorsementPayload, previousPolicyKey, signingKey, signWith, type Signature } from "@/lib/signing/keys";
import type { AgentRule, PolicyState } from "./types";

/**
 * Signed agent policies (docs/agent-protocol.md, "Signed policies"). Every policy an agent receives carries a
 * detached Ed25519 signature over the canonical JSON (RFC 8785) of this document. The policy fields are the ones the
 * frame or response carries; `scope` is sent beside them so an agent can rebuild the exact document.
 */
export const POLICY_DOCUMENT_TYPE = "palisade.agent-policy.v1";

/** What a signature covers besides the rules: whose policy it is, whom it is for, and when it was issued. */
export interface PolicyScope {
  orgId: string;
  /** Set: this agent's own rule set (its overrides applied). Null: any agent of the organization. */
  agentId: string | null;
  /** A rollout's label selector (the version is for the agents it matches); null for the fleet's version. */
  selector: string | null;
  /**
   * The highest version number the organization had published when the document was issued: an agent refuses a
   * document issued before the version it runs (rollback protection), so a replayed old policy is refused while an
   * aborted rollout's agents may return to the fleet's (lower) version.
   */
  highestVersion: number;
}

/** The policy fields of a frame or response, as the agent receives them. */
export interface PolicyFields {
  policyVersion: string | null;
  policyId: string | null;
  name: string | null;
  rules: AgentRule[];
}

/**
 * The scope of the rules one agent enforces: a document of its own when overrides change its rules, otherwise the
 * document every agent of the organization under the same version shares.
 */
export function agentPolicyScope(agent: { orgId: string; agentId: string; overrides: readonly unknown[] }, selector: string | null, highestVersion: number): PolicyScope {
  return { orgId: agent.orgId, agentId: agent.overrides.length > 0 ? agent.agentId : null, selector, highestVersion };
}

export function policyDocument(policy: PolicyFields, scope: PolicyScope) {
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

/** A key endorsed by the key before it, for agents that pinned the older one. */
export interface EndorsedKey {
  keyId: string;
  publicKey: string;
  endorsedBy: string;
  endorsement: string;
}

/** What every signed frame and response gains. `signingKeys` is present only while a rotated key is endorsed. */
export interface PolicySignatureFields {
  scope: PolicyScope;
  signature: Signature;
  signingKeys?: EndorsedKey[];
}

let chain: { keys: EndorsedKey[] | null } | null = null;

/** The current key's endorsement by the previous one (POLICY_SIGNING_KEY_PREVIOUS), computed once per process. */
export function policyKeyChain(): EndorsedKey[] | null {
  if (!chain) {
    const current = signingKey("policy");
    const previous = previousPolicyKey();
    chain = {
      keys:
        previous && previous.keyId !== current.keyId
          ? [{ keyId: current.keyId, publicKey: current.publicKey, endorsedBy: previous.keyId, endorsement: signWith(previous, endorsementPayload(current)).value }]
          : null,
    };
  }
  return chain.keys;
}

/** The key an agent pins at enrolment. */
export function policySigningKey(): { keyId: string; publicKey: string } {
  const { keyId, publicKey } = signingKey("policy");
  return { keyId, publicKey };
}

// Documents shared by many agents (no agentId) are signed once and kept: a publish fans out to every stream of an
// organization, and each frame must not cost a signature. Versions never change, so an entry never goes stale.
const MAX_SHARED = 2000;
const shared = new Map<string, Signature>();

/** The signature fields for a policy under a scope: looked up for shared documents, computed for an agent's own. */
export function signPolicy(policy: PolicyFields, scope: PolicyScope): PolicySignatureFields {
  const key = scope.agentId === null ? `${scope.orgId}\u0000${policy.policyId}\u0000${scope.selector}\u0000${scope.highestVersion}` : null;
  let signature = key === null ? undefined : shared.get(key);
  if (!signature) {
    signature = signWith(signingKey("policy"), policyDocument(policy, scope));
    if (key !== null) {
      if (shared.size >= MAX_SHARED) shared.clear();
      shared.set(key, signature);
    }
  }
  const keys = policyKeyChain();
  return keys ? { scope, signature, signingKeys: keys } : { scope, signature };
}

/** The highest version published as of a policy state (events written before signing lack it: the highest they name). */
export function highestVersionOf(state: PolicyState): number {
  return state.highest ?? Math.max(state.fleet?.version ?? 0, state.rollout?.version.version ?? 0);
}
