import { registerSigningKey } from "@/db/queries/signing-keys";
import { dropProcessSingleton, processSingleton } from "@/lib/singleton";
import { endorsementPayload, previousPolicyKey, signingKey, signWith } from "./keys";

/**
 * Records the public halves of this instance's signing keys, once per process: GET /api/audit-logs/keys and the
 * verifier find every key a checkpoint names, and agents learn a rotated policy key through its endorsement by
 * the previous one (POLICY_SIGNING_KEY_PREVIOUS).
 */
export function signingKeysRegistered(): Promise<void> {
  return processSingleton(SINGLETON, () => register().catch((error: unknown) => {
    // Not remembered as failed: the next caller tries again (the database may have been away).
    dropProcessSingleton(SINGLETON);
    throw error;
  }));
}

const SINGLETON = "signing keys registered";

async function register(): Promise<void> {
    const audit = signingKey("audit");
    await registerSigningKey({ keyId: audit.keyId, purpose: "audit", publicKey: audit.publicKey, endorsedBy: null, endorsement: null });
    const policy = signingKey("policy");
    const previous = previousPolicyKey();
    const endorsed = previous && previous.keyId !== policy.keyId;
    if (previous && endorsed) await registerSigningKey({ keyId: previous.keyId, purpose: "policy", publicKey: previous.publicKey, endorsedBy: null, endorsement: null });
    await registerSigningKey({
      keyId: policy.keyId,
      purpose: "policy",
      publicKey: policy.publicKey,
      endorsedBy: endorsed ? previous.keyId : null,
      endorsement: endorsed ? signWith(previous, endorsementPayload(policy)).value : null,
    });
}
