import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { AgentPolicyRefusal, AgentRule, AgentRuleOverride, LabelSetCount } from "@/lib/agent-policy/types";
import { AUDIT_DELIVERY_STATES } from "@/lib/audit/constants";
import { SIGNING_KEY_PURPOSES } from "@/lib/signing/constants";
import { ROLLOUT_STAGES } from "@/lib/agent-policy/types";
import { LOGIN_OUTCOMES } from "@/lib/auth/login-outcomes";
import type { AgentEventType } from "@/lib/events/event-types";
import { CHANGE_REQUEST_ACTIONS, CHANGE_REQUEST_STATES } from "@/lib/change-requests/constants";
import { POLICY_REVISION_CHANGES, POLICY_TYPES } from "@/lib/policies/constants";
import type { PolicyJson } from "@/lib/policies/serialize";
import { POLICY_KINDS } from "@/lib/policies/kinds";
import { ROLES } from "@/lib/users/roles";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const nullableTime = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

export const organizations = pgTable("organizations", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  // Set once, in the transaction that creates the three default policies, so they are seeded exactly once.
  defaultPoliciesSeededAt: nullableTime("default_policies_seeded_at"),
  // Four-eyes: disabling or deleting a critical policy, or publishing an agent policy version, needs a second admin.
  fourEyes: boolean("four_eyes").notNull().default(false),
  createdAt: createdAt(),
});

/** Per-organization counters. Incrementing a counter locks its row until commit, which keeps numbers gap-free and in commit order. */
export const orgCounters = pgTable("org_counters", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  agentPolicyVersion: integer("agent_policy_version").notNull().default(0),
  agentEventId: bigint("agent_event_id", { mode: "number" }).notNull().default(0),
});

/**
 * Each organization's audit chain head: the last row's position and hash. Appending locks the row (after the
 * organization's org_counters row) until commit, so positions are gap-free and in commit order, and concurrent
 * writers cannot fork the chain.
 */
export const auditChainHeads = pgTable("audit_chain_heads", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => organizations.id, { onDelete: "cascade" }),
  position: bigint("position", { mode: "number" }).notNull(),
  hash: text("hash").notNull(),
});

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    disabledAt: nullableTime("disabled_at"),
    // Bumped to end every session of the user at once (disable, MFA reset, sign-out everywhere).
    sessionVersion: integer("session_version").notNull().default(0),
    // TOTP secret, encrypted with a key derived from AUTH_SECRET; null until enrolment starts.
    totpSecret: text("totp_secret"),
    totpEnabledAt: nullableTime("totp_enabled_at"),
    // The last TOTP time step accepted, so a code cannot be replayed within its validity window.
    totpLastStep: bigint("totp_last_step", { mode: "number" }),
    lastLoginAt: nullableTime("last_login_at"),
    createdAt: createdAt(),
  },
  // An email is unique within an organization; the same person may hold accounts in several organizations.
  (t) => [uniqueIndex("users_org_email_key").on(t.orgId, sql`lower(${t.email})`), index("users_email_idx").on(sql`lower(${t.email})`)],
);

/**
 * When each console session (by the random id it got at sign-in) was last used, to the minute: what the session
 * timeout policy's idle limit is checked against, on every instance.
 */
export const consoleSessions = pgTable(
  "console_sessions",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sessionId: text("session_id").notNull(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.sessionId] }), index("console_sessions_last_seen_idx").on(t.lastSeenAt)],
);

/**
 * A second-factor enrolment in progress (a TOTP secret, or none for a passkey), bound to the session that started it: a session that only has the password sees
 * its own secret, never the one another session (the real user) enrols. Completing it records the session version
 * that the completing session, and only it, is upgraded to.
 */
export const mfaEnrollments = pgTable(
  "mfa_enrollments",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sessionId: text("session_id").notNull(),
    // Sealed like users.totp_secret; null for an enrolment completed with a passkey.
    totpSecret: text("totp_secret"),
    completedAt: nullableTime("completed_at"),
    // The session version the completing session may take up, once.
    grantedSessionVersion: integer("granted_session_version"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.sessionId] })],
);

/**
 * A user's passkey: a WebAuthn credential, discoverable and user-verifying, that serves as a second factor after
 * the password or signs in alone.
 */
export const passkeys = pgTable(
  "passkeys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    // The credential id and COSE public key, base64url.
    credentialId: text("credential_id").notNull(),
    publicKey: text("public_key").notNull(),
    // The authenticator's signature counter: one that goes backwards means a cloned credential.
    counter: bigint("counter", { mode: "number" }).notNull().default(0),
    transports: jsonb("transports").$type<string[]>().notNull().default([]),
    // Whether the credential can be synced to other devices (a "multiDevice" passkey), and whether it is.
    multiDevice: boolean("multi_device").notNull(),
    backedUp: boolean("backed_up").notNull(),
    lastUsedAt: nullableTime("last_used_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("passkeys_credential_id_key").on(t.credentialId), index("passkeys_user_idx").on(t.userId)],
);

/**
 * WebAuthn challenges already answered. A challenge is stateless until then (sealed with an expiry, see
 * lib/auth/webauthn.ts), so anonymous visitors of the sign-in page write nothing; this table makes each one
 * single-use, and is pruned once its rows expire.
 */
export const spentWebauthnChallenges = pgTable(
  "spent_webauthn_challenges",
  {
    challengeHash: text("challenge_hash").primaryKey(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("spent_webauthn_challenges_expires_idx").on(t.expiresAt)],
);

export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    usedAt: nullableTime("used_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("recovery_codes_user_hash_key").on(t.userId, t.codeHash)],
);

export const loginAttempts = pgTable(
  "login_attempts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    email: text("email").notNull(),
    ip: text("ip").notNull(),
    // "pending" while it is checked, then "failed" or "succeeded"; a success forgives the earlier failures of the
    // same account from the same address ("forgiven"). Pending and failed attempts count against the limits.
    outcome: text("outcome", { enum: LOGIN_OUTCOMES }).notNull(),
    // Whether the account had signed in from this address before: failures from unknown addresses count
    // against the account's own ceiling, which never applies at its usual addresses.
    knownAddress: boolean("known_address").notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    index("login_attempts_email_idx").on(t.email, t.createdAt),
    index("login_attempts_ip_idx").on(t.ip, t.createdAt),
  ],
);

/** Addresses each user signed in from successfully, and when last: their usual addresses. */
export const signInAddresses = pgTable(
  "sign_in_addresses",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    ip: text("ip").notNull(),
    lastSuccessAt: timestamp("last_success_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.ip] })],
);

/**
 * A run of refused sign-in attempts under one throttle key, in one organization: the first refusal is audited at
 * once, the rest are counted here and audited as one summary row when the run ends, so an attacker cannot flood
 * the audit log.
 */
export const signInRefusals = pgTable(
  "sign_in_refusals",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    throttleKey: text("throttle_key").notNull(),
    userId: text("user_id"),
    userEmail: text("user_email"),
    ip: text("ip"),
    refused: integer("refused").notNull().default(1),
    firstAt: timestamp("first_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    lastAt: timestamp("last_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    until: timestamp("until", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.throttleKey] })],
);

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    // The first characters of the token, so a user can tell tokens apart without the secret.
    tokenPrefix: text("token_prefix").notNull(),
    expiresAt: nullableTime("expires_at"),
    lastUsedAt: nullableTime("last_used_at"),
    revokedAt: nullableTime("revoked_at"),
    createdAt: createdAt(),
  },
  (t) => [index("api_tokens_org_idx").on(t.orgId), index("api_tokens_user_idx").on(t.userId)],
);

export const ENABLED_KIND_INDEX = "policies_org_enabled_kind_key";

export const policies = pgTable(
  "policies",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    id: text("id").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    type: text("type", { enum: POLICY_TYPES }).notNull(),
    rules: jsonb("rules").$type<string[]>().notNull(),
    enabled: boolean("enabled").notNull().default(true),
    // A policy Palisade enforces on itself has a kind and the settings it is enforced with; others have neither.
    kind: text("kind", { enum: POLICY_KINDS }),
    settings: jsonb("settings").$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    // At most one enabled policy of each kind per organization: a second is refused, whichever way it arrives.
    uniqueIndex(ENABLED_KIND_INDEX).on(t.orgId, t.kind).where(sql`${t.enabled} and ${t.kind} is not null`),
    check("policies_kind_settings_check", sql`(${t.kind} is null) = (${t.settings} is null)`),
  ],
);

/**
 * Every state a security policy has been in: one immutable row per change (create, edit, toggle, delete, restore),
 * numbered 1, 2, 3… per policy and written in the change's transaction. A deleted policy keeps its revisions (no
 * foreign key to the policy), so it can be restored.
 */
export const policyRevisions = pgTable(
  "policy_revisions",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    policyId: text("policy_id").notNull(),
    revision: integer("revision").notNull(),
    change: text("change", { enum: POLICY_REVISION_CHANGES }).notNull(),
    // The policy as the change left it (a deletion: as it was when deleted), in the API's wire shape.
    policy: jsonb("policy").$type<PolicyJson>().notNull(),
    // The revision a restore brought back.
    restoredFrom: integer("restored_from"),
    // Who made the change; null for Palisade itself (the default policies) and the operator's CLI.
    userId: text("user_id"),
    userEmail: text("user_email"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.policyId, t.revision] })],
);

/**
 * A change that four-eyes holds for a second admin: what it would do (`action`, `target`, `payload`), what it was
 * filed against (`base`: the policy's revision, or the active agent policy version), and where it stands.
 */
export const changeRequests = pgTable(
  "change_requests",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    action: text("action", { enum: CHANGE_REQUEST_ACTIONS }).notNull(),
    // The policy id, the agent policy, or the organization.
    target: text("target").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    base: integer("base"),
    // Before and after, as the change would leave its target, for the reviewer.
    preview: jsonb("preview").$type<{ before: unknown; after: unknown }>().notNull(),
    state: text("state", { enum: CHANGE_REQUEST_STATES }).notNull().default("pending"),
    requestedBy: text("requested_by").notNull(),
    requestedByEmail: text("requested_by_email").notNull(),
    reason: text("reason").notNull().default(""),
    decidedBy: text("decided_by"),
    decidedByEmail: text("decided_by_email"),
    decisionComment: text("decision_comment"),
    decidedAt: nullableTime("decided_at"),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("change_requests_org_state_idx").on(t.orgId, t.state, t.createdAt)],
);

export const auditLogs = pgTable(
  "audit_logs",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: text("user_id"),
    userEmail: text("user_email"),
    action: text("action").notNull(),
    resource: text("resource").notNull(),
    details: text("details").notNull(),
    success: boolean("success").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    before: jsonb("before"),
    after: jsonb("after"),
    createdAt: timestamp("timestamp", { withTimezone: true, mode: "date" }).notNull().default(sql`clock_timestamp()`),
    // The row's place in its organization's hash chain (1, 2, 3…) and SHA-256(previous hash ‖ canonical row), hex.
    chainPosition: bigint("chain_position", { mode: "number" }),
    hash: text("hash"),
  },
  (t) => [
    index("audit_logs_org_seq_idx").on(t.orgId, t.seq),
    uniqueIndex("audit_logs_org_chain_position_key").on(t.orgId, t.chainPosition),
    // Rows written before the chain existed, which start-up chains in order (lib/audit/chain-store.ts).
    index("audit_logs_unchained_idx").on(t.orgId, t.seq).where(sql`${t.chainPosition} is null`),
    index("audit_logs_org_action_idx").on(t.orgId, t.action, t.seq),
    index("audit_logs_org_resource_idx").on(t.orgId, t.resource, t.seq),
  ],
);

/** Signed statements of an organization's audit chain head: {orgId, position, hash, at}, signed with Ed25519. */
export const auditCheckpoints = pgTable(
  "audit_checkpoints",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    position: bigint("position", { mode: "number" }).notNull(),
    hash: text("hash").notNull(),
    signedAt: timestamp("signed_at", { withTimezone: true, mode: "date" }).notNull(),
    keyId: text("key_id").notNull(),
    signature: text("signature").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.position] })],
);

/**
 * The public halves of every key this deployment has signed with, so old signatures stay verifiable after a
 * rotation. A key rotated in is endorsed by the key before it (`endorsedBy`, `endorsement`): agents that pinned
 * the old key learn the new one from it.
 */
export const signingKeys = pgTable(
  "signing_keys",
  {
    keyId: text("key_id").primaryKey(),
    purpose: text("purpose", { enum: SIGNING_KEY_PURPOSES }).notNull(),
    // The raw 32-byte Ed25519 public key, base64.
    publicKey: text("public_key").notNull(),
    endorsedBy: text("endorsed_by"),
    endorsement: text("endorsement"),
    createdAt: createdAt(),
  },
  (t) => [check("signing_keys_purpose_check", sql`${t.purpose} in ('audit', 'policy')`)],
);

/** Where an organization's audit rows are streamed (a SIEM's webhook), each row signed with the destination's secret. */
export const auditDestinations = pgTable(
  "audit_destinations",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    // The HMAC secret, sealed with lib/auth/crypto.ts: it must be read back to sign each delivery.
    sealedSecret: text("sealed_secret").notNull(),
    // The audit actions sent; null sends every action.
    actions: jsonb("actions").$type<string[]>(),
    enabled: boolean("enabled").notNull().default(true),
    createdBy: text("created_by"),
    lastDeliveredAt: nullableTime("last_delivered_at"),
    lastFailedAt: nullableTime("last_failed_at"),
    lastError: text("last_error"),
    createdAt: createdAt(),
  },
  (t) => [index("audit_destinations_org_idx").on(t.orgId)],
);

/**
 * The outbox: one row per audit row and destination, written in the audit row's transaction, sent by a worker
 * on any instance (claimed with FOR UPDATE SKIP LOCKED), retried with backoff, and `dead` once it gives up.
 */
export const auditDeliveries = pgTable(
  "audit_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    destinationId: text("destination_id")
      .notNull()
      .references(() => auditDestinations.id, { onDelete: "cascade" }),
    auditSeq: bigint("audit_seq", { mode: "number" }).notNull(),
    chainPosition: bigint("chain_position", { mode: "number" }).notNull(),
    state: text("state", { enum: AUDIT_DELIVERY_STATES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    deliveredAt: nullableTime("delivered_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("audit_deliveries_due_idx").on(t.destinationId, t.chainPosition).where(sql`${t.state} = 'pending'`),
    index("audit_deliveries_org_state_idx").on(t.orgId, t.state, t.id),
    check("audit_deliveries_state_check", sql`${t.state} in ('pending', 'delivered', 'dead')`),
  ],
);

/** Agent policy versions: each POST /api/policy adds one; the highest version is the active one. */
export const agentPolicyVersions = pgTable(
  "agent_policy_versions",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    // json, not jsonb: rule configs come back with their keys in the order they were written.
    rules: json("rules").$type<AgentRule[]>().notNull(),
    createdBy: text("created_by"),
    // The version this one republished, when it is a rollback.
    republishedFrom: integer("republished_from"),
    // A staged rollout's label selector, as written at publish (null: published to the whole fleet).
    selector: text("selector"),
    // `fleet` applies to every agent (published so, or promoted); `canary` to the selector's agents only; `aborted` to none.
    stage: text("stage", { enum: ROLLOUT_STAGES }).notNull().default("fleet"),
    promotedAt: nullableTime("promoted_at"),
    abortedAt: nullableTime("aborted_at"),
    convergedAt: nullableTime("converged_at"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("agent_policy_versions_org_version_key").on(t.orgId, t.version),
    // One rollout at a time: a second canary would leave an agent matching both without one answer.
    uniqueIndex("agent_policy_versions_one_canary_key").on(t.orgId).where(sql`${t.stage} = 'canary'`),
    check("agent_policy_versions_stage_check", sql`${t.stage} in ('fleet', 'canary', 'aborted')`),
    check("agent_policy_versions_canary_selector_check", sql`${t.stage} <> 'canary' or ${t.selector} is not null`),
  ],
);

export const enrollmentKeys = pgTable(
  "enrollment_keys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    keyHash: text("key_hash").notNull().unique(),
    keyPrefix: text("key_prefix").notNull(),
    maxUses: integer("max_uses"),
    uses: integer("uses").notNull().default(0),
    expiresAt: nullableTime("expires_at"),
    revokedAt: nullableTime("revoked_at"),
    createdBy: text("created_by"),
    createdAt: createdAt(),
  },
  (t) => [index("enrollment_keys_org_idx").on(t.orgId)],
);

export const agents = pgTable(
  "agents",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    hostname: text("hostname").notNull(),
    agentVersion: text("agent_version"),
    labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
    tokenHash: text("token_hash").notNull().unique(),
    enrollmentKeyId: text("enrollment_key_id"),
    overrides: json("overrides").$type<AgentRuleOverride[]>().notNull().default([]),
    reportedVersion: integer("reported_version"),
    // What the agent's last heartbeat said of its policy: `stale` past its staleness bound, and the last policy it refused.
    reportedStatus: text("reported_status"),
    reportedRefusal: jsonb("reported_refusal").$type<AgentPolicyRefusal>(),
    // When the agent first reported its current version.
    reportedVersionSince: nullableTime("reported_version_since"),
    lastSeenAt: nullableTime("last_seen_at"),
    revokedAt: nullableTime("revoked_at"),
    createdAt: createdAt(),
  },
  (t) => [index("agents_org_idx").on(t.orgId), index("agents_org_seen_idx").on(t.orgId, t.lastSeenAt)],
);

/** The first time each agent reported each version: the raw material of convergence figures. */
export const agentVersionReports = pgTable(
  "agent_version_reports",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    firstReportedAt: timestamp("first_reported_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.agentId, t.version] }),
    index("agent_version_reports_org_version_idx").on(t.orgId, t.version),
  ],
);

/** The persisted agent event log that SSE resume replays from. Ids are per organization and commit in order. */
export const agentEvents = pgTable(
  "agent_events",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    id: bigint("id", { mode: "number" }).notNull(),
    // null: every agent of the organization; otherwise only this agent.
    agentId: text("agent_id"),
    type: text("type").$type<AgentEventType>().notNull(),
    payload: json("payload").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

/**
 * How many agent streams each server instance holds per organization, refreshed every few seconds, so
 * `broadcastedTo` can count the agents connected to every instance. Rows of a dead instance go stale and
 * are ignored.
 */
export const streamPresence = pgTable(
  "stream_presence",
  {
    instanceId: text("instance_id").notNull(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    connections: integer("connections").notNull(),
    // How many of those agents hold each label set, so a staged rollout's `broadcastedTo` counts its targets everywhere.
    labelCounts: jsonb("label_counts").$type<LabelSetCount[]>().notNull().default([]),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.instanceId, t.orgId] }), index("stream_presence_org_idx").on(t.orgId)],
);

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

export type Organization = typeof organizations.$inferSelect;
export type User = typeof users.$inferSelect;
export type Passkey = typeof passkeys.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type Policy = typeof policies.$inferSelect;
export type PolicyRevision = typeof policyRevisions.$inferSelect;
export type ChangeRequest = typeof changeRequests.$inferSelect;
export type NewPolicy = typeof policies.$inferInsert;
export type AuditLog = typeof auditLogs.$inferSelect;
export type NewAuditLog = typeof auditLogs.$inferInsert;
export type AgentPolicyVersion = typeof agentPolicyVersions.$inferSelect;
export type EnrollmentKey = typeof enrollmentKeys.$inferSelect;
export type Agent = typeof agents.$inferSelect;
export type AgentEvent = typeof agentEvents.$inferSelect;
export type AuditCheckpoint = typeof auditCheckpoints.$inferSelect;
export type SigningKey = typeof signingKeys.$inferSelect;
export type AuditDestination = typeof auditDestinations.$inferSelect;
export type AuditDelivery = typeof auditDeliveries.$inferSelect;
