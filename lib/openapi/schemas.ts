import { z } from "zod";
import { agentOverridesSchema, agentRuleSchema } from "@/lib/agent-policy/rules";
import { ROLLOUT_STAGES } from "@/lib/agent-policy/types";
import { REPORTED_POLICY_STATUSES } from "@/lib/agents/status";
import { CHANGE_REQUEST_ACTIONS, CHANGE_REQUEST_STATES } from "@/lib/change-requests/constants";
import type { ErrorCode } from "@/lib/errors";
import { POLICY_REVISION_CHANGES, POLICY_TYPES } from "@/lib/policies/constants";
import { POLICY_KINDS } from "@/lib/policies/kinds";

/**
 * What the API answers, as zod schemas for the OpenAPI document: the shapes the serializers (lib/<domain>/serialize.ts)
 * and route handlers produce. Strict objects, so the conformance test (tests/integration/openapi.test.ts) fails on a
 * field that a response has and the document does not, or the other way round.
 */

const timestamp = z.iso.datetime().meta({ example: "2026-03-05T14:30:00.000Z" });
const version = z
  .string()
  .regex(/^v[1-9][0-9]*$/)
  .meta({ description: "A version label: `v1`, `v2`, …", example: "v3" });

// ---- Errors --------------------------------------------------------------------------------------------------------

export const detailError = z.strictObject({ detail: z.string().meta({ example: "Policy not found" }) }).meta({
  id: "DetailError",
  description: 'The Security Policies API family\'s error: `{"detail": "message"}`.',
});

export const detailValidationError = z
  .strictObject({
    detail: z.array(
      z.strictObject({
        loc: z.array(z.union([z.string(), z.int()])).meta({ description: "Where the bad field is: `body`, `query` or `path`, then its path.", example: ["body", "rules", 0] }),
        msg: z.string().meta({ example: "must not be empty" }),
        type: z.string().meta({ description: "The kind of problem (zod's issue code).", example: "too_small" }),
      }),
    ),
  })
  .meta({ id: "DetailValidationError", description: "The Security Policies API family's 422: every bad field, named." });

// A record, so adding an error code to lib/errors.ts without documenting it fails to compile.
const ERROR_CODES: Record<ErrorCode, true> = {
  invalid_json: true,
  unauthenticated: true,
  forbidden: true,
  not_found: true,
  conflict: true,
  payload_too_large: true,
  validation_failed: true,
  rate_limited: true,
  internal_error: true,
  unavailable: true,
};

export const envelopeError = z
  .strictObject({
    ok: z.literal(false),
    error: z.strictObject({
      code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
      message: z.string().meta({ example: "Request validation failed" }),
      details: z
        .array(z.strictObject({ path: z.string().meta({ example: "rules[1].config.threshold" }), message: z.string().meta({ example: "must be greater than 0" }) }))
        .meta({ description: "Each bad field, for `validation_failed`; empty otherwise." }),
      requestId: z.string().optional().meta({ description: "The request's id, as in its `X-Request-Id` header: quote it when reporting a problem." }),
    }),
  })
  .meta({ id: "EnvelopeError", description: 'The Agent Policy API family\'s error: `{"ok": false, "error": {code, message, details}}`.' });

/** The Agent Policy API family's success envelope around `data`. */
export function okEnvelope<T extends z.ZodType>(data: T) {
  return z.strictObject({ ok: z.literal(true), data });
}

// ---- Security Policies API -----------------------------------------------------------------------------------------

export const securityPolicy = z
  .strictObject({
    id: z.string().meta({ example: "pol-mfa-required" }),
    name: z.string().meta({ example: "MFA Required" }),
    description: z.string(),
    type: z.enum(POLICY_TYPES),
    rules: z.array(z.string()).meta({ example: ["Require MFA for login", "WebAuthn preferred", "TOTP as fallback"] }),
    enabled: z.boolean(),
    created_at: timestamp,
    kind: z.enum(POLICY_KINDS).optional().meta({ description: "Only on a policy Palisade enforces on itself." }),
    settings: z.record(z.string(), z.unknown()).optional().meta({ description: "The kind's settings, only with `kind`." }),
  })
  .meta({ id: "SecurityPolicy" });

export const policyToggled = z.strictObject({ message: z.enum(["Policy enabled", "Policy disabled"]), enabled: z.boolean() });
export const policyDeleted = z.strictObject({ message: z.literal("Policy deleted"), id: z.string() });

export const policyRevision = z
  .strictObject({
    revision: z.int().min(1),
    change: z.enum(POLICY_REVISION_CHANGES),
    restored_from: z.int().min(1).optional().meta({ description: "Only on a `restored` revision: the revision it restored." }),
    user_email: z.string().nullable().meta({ description: "Null for the default policies Palisade created." }),
    created_at: timestamp,
    policy: securityPolicy,
  })
  .meta({ id: "PolicyRevision" });

export const policyRestored = z.strictObject({ message: z.literal("Policy restored"), restored_from: z.int().min(1), policy: securityPolicy });

export const changeRequest = z
  .strictObject({
    id: z.string().meta({ example: "cr_3fa91c0d2b7e4a15" }),
    action: z.enum(CHANGE_REQUEST_ACTIONS),
    target: z.string().meta({ description: "The policy id, `agent-policy:v5`, or `organization`.", example: "pol-mfa-required" }),
    state: z.enum(CHANGE_REQUEST_STATES),
    requested_by: z.string().meta({ example: "alice@example.com" }),
    reason: z.string(),
    preview: z.strictObject({ before: z.unknown(), after: z.unknown() }).meta({ description: "The target as it is, and as the change would leave it." }),
    decided_by: z.string().nullable(),
    decision_comment: z.string().nullable(),
    decided_at: timestamp.nullable(),
    expires_at: timestamp,
    created_at: timestamp,
  })
  .meta({ id: "ChangeRequest" });

export const approvalRequired = z
  .strictObject({ detail: z.literal("Approval required"), change_request: changeRequest })
  .meta({ id: "ApprovalRequired", description: "Four-eyes held the change: the change request filed for a second admin." });

export const organizationSettings = z.strictObject({ fourEyes: z.boolean() }).meta({ id: "OrganizationSettings" });

export const auditLogEntry = z
  .strictObject({
    id: z.string().meta({ example: "log-123" }),
    user_id: z.string().nullable(),
    user_email: z.string().nullable(),
    action: z.string().meta({ example: "toggle_policy" }),
    resource: z.string().meta({ example: "policy:pol-mfa-required" }),
    details: z.string().meta({ example: "Policy disabled" }),
    timestamp,
    success: z.boolean(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    before: z.unknown().optional().meta({ description: "Where something changed: the resource before." }),
    after: z.unknown().optional().meta({ description: "Where something changed: the resource after." }),
    chain_position: z.number().int().nullable().meta({ description: "The entry's position in its organization's hash chain (1, 2, 3…); null for a row written outside it.", example: 42 }),
    hash: z.string().nullable().meta({ description: "SHA-256(previous entry's hash ‖ this entry's canonical JSON), hex (docs/audit-chain.md).", example: "9f2c…" }),
  })
  .meta({ id: "AuditLogEntry" });

export const auditCheckpoint = z
  .strictObject({
    orgId: z.string(),
    position: z.number().int().meta({ description: "The chain position signed: the head when it was signed.", example: 42 }),
    hash: z.string().meta({ description: "The hash of the row at `position`, hex." }),
    at: timestamp,
    keyId: z.string().meta({ description: "The id of the audit key that signed (GET /api/audit-logs/keys).", example: "3f9a0c1b2d4e5f60" }),
    signature: z.string().meta({ description: "Ed25519 over the RFC 8785 JSON of `{orgId, position, hash, at}`, base64." }),
  })
  .meta({ id: "AuditCheckpoint" });

export const auditPublicKey = z
  .strictObject({
    keyId: z.string().meta({ description: "The first 16 hex digits of the SHA-256 of the raw public key." }),
    algorithm: z.literal("Ed25519"),
    publicKey: z.string().meta({ description: "The raw 32-byte Ed25519 public key, base64." }),
    createdAt: timestamp,
  })
  .meta({ id: "AuditPublicKey" });

export const consoleSession = z.strictObject({
  email: z.string(),
  expiresAt: timestamp.nullable().meta({ description: "Null without an enabled session timeout policy." }),
  idleExpiresAt: timestamp.nullable().meta({ description: "Null without an enabled session timeout policy." }),
});

export const health = z.strictObject({ status: z.literal("ok") });
export const healthUnavailable = z.strictObject({ status: z.literal("unavailable") });

// ---- Agent Policy API ----------------------------------------------------------------------------------------------

const agentRule = agentRuleSchema.meta({ id: "AgentRule" });
const agentRuleOverrides = agentOverridesSchema.meta({ id: "AgentRuleOverrides" });

const policySignatureFields = {
  scope: z
    .strictObject({
      orgId: z.string(),
      agentId: z.string().nullable().meta({ description: "Set: this agent's own rule set (its overrides applied). Null: any agent of the organization." }),
      selector: z.string().nullable().meta({ description: "A rollout's selector: the version is for the agents it matches. Null: the fleet's version." }),
      highestVersion: z.int().min(0).meta({ description: "The highest version published when the document was issued: agents refuse a document issued before the version they run." }),
    })
    .meta({ id: "PolicyScope", description: "What the signature covers besides the policy's own fields (docs/agent-protocol.md, Signed policies)." }),
  signature: z
    .strictObject({ keyId: z.string().meta({ example: "3f9a1c2b4d5e6f70" }), value: z.string().meta({ description: "Base64 Ed25519 signature over the canonical JSON (RFC 8785) of the signed document." }) })
    .meta({ id: "PolicySignature" }),
  signingKeys: z
    .array(
      z.strictObject({
        keyId: z.string(),
        publicKey: z.string().meta({ description: "The raw 32-byte Ed25519 public key, base64." }),
        endorsedBy: z.string().meta({ description: "The id of the key rotated out." }),
        endorsement: z.string().meta({ description: "The old key's signature over the canonical JSON of `{purpose: \"policy\", keyId, publicKey}`." }),
      }),
    )
    .optional()
    .meta({ description: "Only after a key rotation: the current key, endorsed by the previous one, for agents that pinned it." }),
};

const policyVersionFields = {
  id: z.string().meta({ example: "pol_3f9a1c2b4d5e" }),
  name: z.string(),
  description: z.string().nullable(),
  version,
  rules: z.array(agentRule),
  createdAt: timestamp,
  createdBy: z.string().nullable(),
  republishedFrom: version.nullable().meta({ description: "The version this one republished (a rollback), or null." }),
  stage: z.enum(ROLLOUT_STAGES).meta({ description: "`fleet`: applies to the whole fleet; `canary`: rolling out to `selector`; `aborted`: applies nowhere." }),
  selector: z.string().nullable().meta({ example: "ring=canary" }),
  promotedAt: timestamp.nullable(),
  abortedAt: timestamp.nullable(),
  ...policySignatureFields,
};

export const policyVersion = z.strictObject(policyVersionFields).meta({ id: "AgentPolicyVersion" });

const broadcastedTo = z.int().min(0).meta({ description: "Connected agents (on every instance) whose version this changed." });

export const publishedVersion = z.strictObject({
  id: policyVersionFields.id,
  name: policyVersionFields.name,
  version,
  rules: policyVersionFields.rules,
  broadcastedTo,
  createdAt: timestamp,
  description: policyVersionFields.description,
  stage: z.literal("canary").optional().meta({ description: "Only with a `selector`." }),
  selector: z.string().optional().meta({ description: "Only when published to a selector, in its one spelling." }),
});

export const policyVersionBroadcast = z.strictObject({ ...policyVersionFields, broadcastedTo });

export const activePolicyVersion = z.strictObject({
  ...policyVersionFields,
  rollout: policyVersion.nullable().meta({ description: "The version rolling out to a selector's agents, or null." }),
});

const rollout = z
  .strictObject({ version, selector: z.string(), targeted: z.boolean().meta({ description: "Whether the rollout's version applies to this agent." }) })
  .meta({ id: "Rollout", description: "A staged rollout in progress, as one agent sees it." });

export const agentPolicyView = z.strictObject({
  agentId: z.string(),
  policyVersion: version.nullable().meta({ description: "The version the agent last reported in a heartbeat." }),
  rules: z.array(agentRule).meta({ description: "The effective rules: the version that applies to the agent, with its overrides." }),
  appliedAt: timestamp.nullable().meta({ description: "When the agent first reported the version that applies to it." }),
  overrides: agentRuleOverrides,
  targetVersion: version.nullable().meta({ description: "The version that applies to the agent: the signed document's `version`." }),
  policyId: z.string().nullable().meta({ description: "The id of the version that applies." }),
  name: z.string().nullable(),
  rollout: rollout.nullable(),
  ...policySignatureFields,
});

export const agentOverridesSet = z.strictObject({
  agentId: z.string(),
  overrides: agentRuleOverrides,
  policyVersion: version.nullable().meta({ description: "The version that applies to the agent." }),
  rules: z.array(agentRule),
});

export const agent = z
  .strictObject({
    id: z.string().meta({ example: "agent-1a2b3c4d" }),
    hostname: z.string(),
    agentVersion: z.string().nullable(),
    labels: z.record(z.string(), z.string()).meta({ example: { ring: "canary" } }),
    policyVersion: version.nullable().meta({ description: "The version the agent last reported." }),
    targetVersion: version.nullable().meta({ description: "The version that applies to the agent." }),
    outdated: z.boolean(),
    online: z.boolean(),
    lastSeenAt: timestamp.nullable(),
    reportedVersionSince: timestamp.nullable(),
    overrides: agentRuleOverrides,
    reportedStatus: z.enum(REPORTED_POLICY_STATUSES).nullable().meta({ description: "What the agent last reported of its policy: `stale` when it has had no verified policy within its staleness bound; null if it never said." }),
    reportedRefusal: z
      .strictObject({ version: z.string().nullable(), reason: z.string(), at: timestamp })
      .nullable()
      .meta({ description: "The last policy the agent refused to apply (unsigned, wrongly signed, an unknown key, a rollback), as it reported it." }),
    revokedAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: "Agent" });

export const agentList = z.strictObject({ total: z.int().min(0), agents: z.array(agent) });
export const agentRevoked = z.strictObject({ agentId: z.string(), revokedAt: timestamp.nullable() });

const enrollmentKeyFields = {
  id: z.string(),
  orgId: z.string(),
  keyPrefix: z.string().meta({ description: "The key's first characters, to recognise it." }),
  maxUses: z.int().nullable().meta({ description: "Null: unlimited." }),
  uses: z.int().min(0),
  expiresAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
  createdBy: z.string().nullable(),
  createdAt: timestamp,
};

export const enrollmentKey = z.strictObject(enrollmentKeyFields).meta({ id: "EnrollmentKey", description: "An enrollment key; never the key itself." });
export const enrollmentKeyCreated = z.strictObject({
  ...enrollmentKeyFields,
  key: z.string().meta({ description: "The key, shown this once.", example: "penr_…" }),
});
export const enrollmentKeyRevoked = z.strictObject({ id: z.string(), revoked: z.literal(true) });

export const enrolled = z.strictObject({
  agentId: z.string().meta({ example: "agent-1a2b3c4d" }),
  orgId: z.string().meta({ description: "The agent's organization, which every signed policy it may apply names." }),
  policySigningKey: z
    .strictObject({ keyId: z.string(), publicKey: z.string().meta({ description: "The raw 32-byte Ed25519 public key, base64." }) })
    .meta({ description: "The key every policy sent to this agent is signed with: pin it." }),
  token: z.string().meta({ description: "The agent's token, shown this once; stored only as a hash.", example: "pagt_…" }),
});

export const heartbeatAnswer = z.strictObject({
  agentId: z.string(),
  latestVersion: version.nullable().meta({ description: "The version that applies to this agent (the active one, or a rollout's)." }),
  outdated: z.boolean(),
  serverTime: timestamp,
});

/** The body of the console stream's `convergence` event (`GET /api/events`). */
export const fleetConvergence = z
  .strictObject({
    latestVersion: version.nullable(),
    agents: z.strictObject({ total: z.int(), online: z.int(), offline: z.int(), upToDate: z.int(), outdated: z.int() }),
    versions: z.array(
      z.strictObject({
        version,
        name: z.string(),
        stage: z.enum(ROLLOUT_STAGES),
        selector: z.string().nullable(),
        createdAt: timestamp,
        applied: z.int(),
        convergedAt: timestamp.nullable(),
        convergenceSeconds: z.number().nullable(),
      }),
    ),
  })
  .meta({ id: "FleetConvergence", description: "The data of the `convergence` event of `GET /api/events`." });
