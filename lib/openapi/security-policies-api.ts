import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { exportAuditLogsQuery, listAuditLogsQuery, listCheckpointsQuery, MAX_AUDIT_LIMIT, MAX_EXPORT_ROWS } from "@/lib/audit/schemas";
import { changeRequestId, changeRequestListQuery, decisionBody, fileChangeRequestBody, organizationSettingsBody } from "@/lib/change-requests/schemas";
import { POLICY_KIND_SPECS, POLICY_KINDS } from "@/lib/policies/kinds";
import { deletePolicyQuery, documentedPolicyBody, kindedCreateBody, listPoliciesQuery, revisionParam, togglePolicyBody, updatePolicyBody } from "@/lib/policies/schemas";
import { errorResponse, jsonResponse, userOperation } from "./operations";
import {
  approvalRequired,
  auditCheckpoint,
  auditLogEntry,
  auditPublicKey,
  changeRequest,
  consoleSession,
  health,
  healthUnavailable,
  organizationSettings,
  policyDeleted,
  policyRestored,
  policyRevision,
  policyToggled,
  securityPolicy,
} from "./schemas";

/** The Security Policies API family (`{"detail": ...}` errors): policies, revisions, four-eyes, the audit log, session and health. */

export const TAGS = {
  policies: "Security policies",
  revisions: "Policy revisions",
  fourEyes: "Four-eyes approval",
  audit: "Audit log",
  service: "Service",
} as const;

const family = "detail" as const;

const POLICY_EXAMPLE = {
  id: "pol-mfa-required",
  name: "MFA Required",
  description: "Enforce multi-factor authentication for all users",
  type: "access",
  rules: ["Require MFA for login", "WebAuthn preferred", "TOTP as fallback"],
  enabled: true,
  created_at: "2026-03-01T10:00:00.000Z",
};

const policyPath = z.object({ id: z.string().meta({ description: "The policy's id.", example: "pol-mfa-required" }) });
const revisionPath = policyPath.extend({ revision: revisionParam.meta({ description: "The revision number, from 1.", example: 2 }) });
const changeRequestPath = z.object({ id: changeRequestId.meta({ example: "cr_3fa91c0d2b7e4a15" }) });

/**
 * `POST /api/policies` takes the documented policy, or a policy of a kind: the validating schema picks one by the
 * presence of `kind` (lib/policies/schemas.ts). Documented as that choice, each kind with its own settings.
 */
const kindedPolicyBodies = POLICY_KINDS.map((kind) =>
  kindedCreateBody.in.extend({ kind: z.literal(kind), settings: POLICY_KIND_SPECS[kind].settings.optional() }).meta({ title: `A ${kind} policy` }),
);
const createPolicyBody = z.union([documentedPolicyBody.meta({ title: "A policy as documented" }), ...kindedPolicyBodies]);

const changedWithFourEyes = (what: string) => ({ "202": jsonResponse(approvalRequired, `Four-eyes is on and ${what}: a change request is filed for a second admin instead.`) });

export const securityPoliciesPaths: ZodOpenApiPathsObject = {
  "/api/policies": {
    get: userOperation({
      operationId: "listPolicies",
      tag: TAGS.policies,
      family,
      role: "viewer",
      summary: "List security policies",
      description: "A bare JSON array, oldest first. Every organization has the three default policies (`pol-mfa-required`, `pol-network-zero-trust`, `pol-session-recording`) from its creation.",
      query: listPoliciesQuery,
      responses: { "200": jsonResponse(z.array(securityPolicy), "The policies.", [POLICY_EXAMPLE]) },
    }),
    post: userOperation({
      operationId: "createPolicy",
      tag: TAGS.policies,
      family,
      role: "admin",
      summary: "Create a security policy",
      description:
        "A custom policy: `name`, `type`, `rules`, and optionally `id` (generated from the name when absent), `description` and `enabled` (default true). Unknown fields answer 422; `created_at` is accepted and ignored, so a policy read with GET can be sent back.\n\nWith `kind`, a policy Palisade enforces on itself: its `type` follows from the kind, its `rules` are generated from its `settings` (every setting has a default), and its name and description default to the template's. At most one enabled policy of each kind per organization.",
      body: { schema: createPolicyBody, example: { name: "Block USB storage", type: "access", rules: ["Deny mass storage"] } },
      responses: {
        "201": {
          ...jsonResponse(securityPolicy, "Created."),
          headers: { Location: { description: "The new policy's URL.", required: true, schema: { type: "string", example: "/api/policies/pol-block-usb-storage-3fa91c" } } },
        },
      },
      errors: { 409: "A duplicate id; a second enabled policy of a kind; an IP allowlist that would lock the caller out." },
    }),
  },
  "/api/policies/{id}": {
    get: userOperation({
      operationId: "getPolicy",
      tag: TAGS.policies,
      family,
      role: "viewer",
      summary: "Get a security policy",
      path: policyPath,
      responses: { "200": jsonResponse(securityPolicy, "The policy.", POLICY_EXAMPLE) },
      errors: { 404: 'No such policy: `{"detail": "Policy not found"}`.' },
    }),
    patch: userOperation({
      operationId: "togglePolicy",
      tag: TAGS.policies,
      family,
      role: "admin",
      summary: "Toggle a security policy",
      description:
        'Without a body, flips `enabled`; with `{"enabled": false}` it sets the state instead (idempotent: safe to retry). Audited as `toggle_policy`, with before/after snapshots. Network and session policies are pushed to connected agents.',
      path: policyPath,
      body: { schema: togglePolicyBody.unwrap(), required: false, example: { enabled: false } },
      responses: { "200": jsonResponse(policyToggled, "The new state.", { message: "Policy disabled", enabled: false }), ...changedWithFourEyes("this disables a critical policy") },
      errors: { 404: true, 409: "Enabling a second enabled policy of a kind; an IP allowlist that would lock the caller out." },
    }),
    put: userOperation({
      operationId: "updatePolicy",
      tag: TAGS.policies,
      family,
      role: "admin",
      summary: "Update a security policy",
      description:
        "Any of `name`, `description`, `type`, `rules`, `enabled`, `settings` (at least one). `id` may be sent but must match the URL. For a policy of a kind, `settings` are merged into its own and its rules generated again; `kind` cannot change. Audited as `update_policy`.",
      path: policyPath,
      body: { schema: updatePolicyBody, example: { rules: ["Deny mass storage", "Log every attempt"] } },
      responses: { "200": jsonResponse(securityPolicy, "The updated policy.") },
      errors: { 404: true, 409: "A second enabled policy of a kind; an IP allowlist that would lock the caller out; disabling a critical policy while four-eyes is on." },
    }),
    delete: userOperation({
      operationId: "deletePolicy",
      tag: TAGS.policies,
      family,
      role: "admin",
      summary: "Delete a security policy",
      description: "The three default policies are critical: deleting one needs `?confirm=true`. Audited as `delete_policy`, with the deleted policy as the before snapshot.",
      path: policyPath,
      query: deletePolicyQuery,
      responses: { "200": jsonResponse(policyDeleted, "Deleted.", { message: "Policy deleted", id: "pol-block-usb" }), ...changedWithFourEyes("the policy is critical") },
      errors: { 404: true, 409: "A critical policy without `?confirm=true` (audited)." },
    }),
  },
  "/api/policies/{id}/revisions": {
    get: userOperation({
      operationId: "listPolicyRevisions",
      tag: TAGS.revisions,
      family,
      role: "viewer",
      summary: "List a policy's revisions",
      description: "Newest first. Every change (create, PUT, a PATCH that changes the state, DELETE, restore) writes one; a deleted policy keeps them.",
      path: policyPath,
      responses: { "200": jsonResponse(z.array(policyRevision), "The revisions.") },
      errors: { 404: "A policy the organization never had." },
    }),
  },
  "/api/policies/{id}/revisions/{revision}": {
    get: userOperation({
      operationId: "getPolicyRevision",
      tag: TAGS.revisions,
      family,
      role: "viewer",
      summary: "Get one revision",
      path: revisionPath,
      responses: { "200": jsonResponse(policyRevision, "The revision.") },
      errors: { 404: "No such revision.", 422: "The revision is not a number from 1." },
    }),
  },
  "/api/policies/{id}/revisions/{revision}/restore": {
    post: userOperation({
      operationId: "restorePolicyRevision",
      tag: TAGS.revisions,
      family,
      role: "admin",
      summary: "Restore a revision",
      description: "Makes the revision the newest: an existing policy takes its fields; a deleted one is created again. Audited as `restore_policy`; agents receive it as any change.",
      path: revisionPath,
      responses: { "200": jsonResponse(policyRestored, "Restored.") },
      errors: { 404: true, 409: "A second enabled policy of a kind; an IP allowlist that would lock the caller out; a disabled critical policy while four-eyes is on." },
    }),
  },
  "/api/organization/settings": {
    get: userOperation({
      operationId: "getOrganizationSettings",
      tag: TAGS.fourEyes,
      family,
      role: "viewer",
      summary: "Get the organization's settings",
      responses: { "200": jsonResponse(organizationSettings, "The settings.", { fourEyes: false }) },
    }),
    put: userOperation({
      operationId: "updateOrganizationSettings",
      tag: TAGS.fourEyes,
      family,
      role: "admin",
      summary: "Turn four-eyes approval on or off",
      description: "Audited as `update_organization_settings`. Turning it off while it is on is itself held for a second admin.",
      body: { schema: organizationSettingsBody, example: { fourEyes: true } },
      responses: { "200": jsonResponse(organizationSettings, "The settings now."), ...changedWithFourEyes("this turns it off") },
    }),
  },
  "/api/change-requests": {
    get: userOperation({
      operationId: "listChangeRequests",
      tag: TAGS.fourEyes,
      family,
      role: "viewer",
      summary: "List change requests",
      description: "Newest first. Requests past their 72 hours are expired first.",
      query: changeRequestListQuery,
      responses: { "200": jsonResponse(z.array(changeRequest), "The requests.") },
    }),
    post: userOperation({
      operationId: "fileChangeRequest",
      tag: TAGS.fourEyes,
      family,
      role: "admin",
      summary: "File a change request",
      description: "To disable or delete a policy (`target` is its id), or to turn four-eyes off, whether or not four-eyes would hold the change.",
      body: { schema: fileChangeRequestBody, example: { action: "disable_policy", target: "pol-mfa-required", reason: "Maintenance window" } },
      responses: { "201": jsonResponse(changeRequest, "Filed.") },
      errors: { 404: "No such policy.", 409: "Four-eyes is already off." },
    }),
  },
  "/api/change-requests/{id}/approve": {
    post: decision("approveChangeRequest", "Approve and apply a change request", "Applies the change at once, in one transaction, exactly as the direct call would."),
  },
  "/api/change-requests/{id}/reject": {
    post: decision("rejectChangeRequest", "Reject a change request", "With a comment."),
  },
  "/api/change-requests/{id}/cancel": {
    post: decision("cancelChangeRequest", "Cancel a change request", "Its author withdrawing it."),
  },
  "/api/audit-logs": {
    get: userOperation({
      operationId: "listAuditLogs",
      tag: TAGS.audit,
      family,
      role: "viewer",
      summary: "List audit log entries",
      description: `A bare JSON array, newest first, at most \`limit\` (1–${MAX_AUDIT_LIMIT}, 100 by default). \`since\` is inclusive, \`until\` exclusive; \`user_email\` is case-insensitive. When more entries exist, a \`Link: <…&cursor=N>; rel="next"\` header gives the next page: follow it until it is absent. No secret ever appears in an entry.`,
      query: listAuditLogsQuery,
      responses: {
        "200": {
          ...jsonResponse(z.array(auditLogEntry), "The entries."),
          headers: { Link: { description: 'The next page, `<…>; rel="next"`, when there is one.', schema: { type: "string" } } },
        },
      },
    }),
  },
  "/api/audit-logs/checkpoints": {
    get: userOperation({
      operationId: "listAuditCheckpoints",
      tag: TAGS.audit,
      family,
      role: "viewer",
      summary: "List signed audit checkpoints",
      description: `A bare JSON array, newest first, at most \`limit\` (1–${MAX_AUDIT_LIMIT}, 100 by default), paged by a \`Link: <…&cursor=N>; rel="next"\` header like the log. Save them outside Palisade: a checkpoint kept elsewhere proves rows later removed existed (docs/audit-chain.md).`,
      query: listCheckpointsQuery,
      responses: {
        "200": {
          ...jsonResponse(z.array(auditCheckpoint), "The checkpoints."),
          headers: { Link: { description: 'The next page, `<…>; rel="next"`, when there is one.', schema: { type: "string" } } },
        },
      },
    }),
    post: userOperation({
      operationId: "signAuditCheckpoint",
      tag: TAGS.audit,
      family,
      role: "admin",
      summary: "Sign a checkpoint now",
      description: "Signs the organization's chain head with the audit key, stores it, and records it as a `sign_audit_checkpoint` entry whose `after` is the checkpoint.",
      responses: { "201": jsonResponse(auditCheckpoint, "The checkpoint.") },
      errors: { 409: "The chain is empty: nothing to sign." },
    }),
  },
  "/api/audit-logs/keys": {
    get: userOperation({
      operationId: "listAuditKeys",
      tag: TAGS.audit,
      family,
      role: "viewer",
      summary: "The audit public keys",
      description: "Every key that has signed checkpoints, current and rotated out, oldest first. Pin them (save this response) to verify with `--keys`.",
      responses: { "200": jsonResponse(z.array(auditPublicKey), "The keys.") },
    }),
  },
  "/api/audit-logs/export": {
    get: {
      ...userOperation({
        operationId: "exportAuditLogs",
        tag: TAGS.audit,
        family,
        role: "viewer",
        summary: "Export the audit log",
        description: `The entries matching the same filters as the list, newest first, as a CSV file, a JSON array (\`format=json\`) or a verifiable JSON file carrying the organization's checkpoints and audit public keys for the offline verifier (\`format=verifiable\`) (\`Content-Disposition: attachment\`), streamed. At most \`limit\` rows (${MAX_EXPORT_ROWS} by default and at most). Audited as \`export_audit_log\`. A console session may export only from the console's own origin (\`Sec-Fetch-Site\` \`same-origin\` or \`none\`, or a \`Referer\` of this origin); API tokens are not affected. CSV cells a spreadsheet would run as formulas are prefixed with \`'\`.`,
        query: exportAuditLogsQuery,
        responses: {
          "200": {
            description: "The file. Cut off without its final chunk if the database fails midway, so an incomplete transfer shows.",
            headers: {
              "Content-Disposition": { required: true, schema: { type: "string", example: 'attachment; filename="palisade-audit-log-20260305T143000Z.csv"' } },
              "X-Export-Row-Limit": { description: "The `limit` applied.", required: true, schema: { type: "string" } },
              "X-Export-Truncated": { description: "`true` when more entries matched than the file holds.", required: true, schema: { type: "string", enum: ["true", "false"] } },
              Link: { description: 'With `X-Export-Truncated: true`: the rest, `<…&cursor=N>; rel="next"`.', schema: { type: "string" } },
            },
            content: {
              "text/csv": { schema: { type: "string" } },
              "application/json": {
                schema: z.union([
                  z.array(auditLogEntry).meta({ description: "`format=json`: the entries." }),
                  z
                    .strictObject({
                  format: z.literal("palisade-audit-export/1"),
                  orgId: z.string(),
                  exportedAt: z.string(),
                  entries: z.array(auditLogEntry),
                  filtered: z.boolean().meta({ description: "Some filter applied: the file cannot verify the chain." }),
                  complete: z.boolean().meta({ description: "Every row of the chain up to the newest exported: unfiltered, not truncated, not a later page. A partial export verifies offline only the stretch of the chain it holds." }),
                  checkpoints: z.array(auditCheckpoint),
                  keys: z.array(auditPublicKey),
                    })
                    .meta({ description: "`format=verifiable`: the entries, with what verifies them offline." }),
                ]),
              },
            },
          },
        },
        errors: { 429: "2 exports already in progress for this user, or 4 for the organization, on this instance." },
      }),
    },
    head: {
      operationId: "headAuditLogExport",
      tags: [TAGS.audit],
      summary: "Not supported",
      description: "HEAD would run an audited export and drop it unread, so it is refused.",
      security: [],
      responses: { "405": { description: "Method not allowed.", headers: { Allow: { required: true, schema: { type: "string", const: "GET" } } } } },
    },
  },
  "/api/session": {
    get: {
      operationId: "getConsoleSession",
      tags: [TAGS.service],
      summary: "The console session's state",
      description: "For an open console page to notice when its session ends. Asking does not count as use of the session.",
      security: [{ consoleSession: [] }],
      responses: {
        "200": jsonResponse(consoleSession, "The session is valid.", { email: "admin@example.com", expiresAt: "2026-03-05T22:30:00.000Z", idleExpiresAt: "2026-03-05T15:00:00.000Z" }),
        "401": errorResponse(family, 401, "The session is over (signed out, timed out, ended elsewhere), or there is none."),
        "500": errorResponse(family, 500),
      },
    },
  },
  "/api/health": {
    get: {
      operationId: "getHealth",
      tags: [TAGS.service],
      summary: "Health check",
      description: "No credential. For load balancers and orchestrators.",
      security: [],
      responses: {
        "200": jsonResponse(health, "This instance reaches its database.", { status: "ok" }),
        "503": jsonResponse(healthUnavailable, "It does not.", { status: "unavailable" }),
      },
    },
  },
};

function decision(operationId: string, summary: string, description: string) {
  return userOperation({
    operationId,
    tag: TAGS.fourEyes,
    family,
    role: "admin",
    summary,
    description: `${description} Every decision is audited; a refused one as a failure.`,
    path: changeRequestPath,
    body: { schema: decisionBody, required: false, example: { comment: "Looks right" } },
    responses: { "200": jsonResponse(changeRequest, "The request, decided.") },
    errors: {
      403: "The request's own author approving it; or the shared causes.",
      404: true,
      409: "The request is no longer pending, or stale (the policy has a newer revision, another agent policy version was published, or the rollout already ended): a stale request is cancelled.",
    },
  });
}
