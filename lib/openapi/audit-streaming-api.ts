import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { AUDIT_DELIVERY_STATES } from "@/lib/audit/constants";
import { createDestinationBody, listDeliveriesQuery, replayBody, updateDestinationBody } from "@/lib/audit-streaming/schemas";
import { jsonResponse, userOperation } from "./operations";

/** Audit streaming to a SIEM (Security Policies API family: `{"detail": ...}` errors). See docs/siem.md. */
export const AUDIT_STREAMING_TAG = "Audit streaming";

const family = "detail" as const;
const timestamp = z.iso.datetime({ offset: true }).meta({ example: "2026-03-05T14:30:00.000Z" });

const destination = z
  .strictObject({
    id: z.string().meta({ example: "dst_3fa91c0d2b7e4a15" }),
    url: z.string().meta({ example: "https://siem.example.com/palisade" }),
    actions: z.array(z.string()).nullable().meta({ description: "The audit actions sent; null sends every action." }),
    enabled: z.boolean(),
    createdBy: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: "AuditDestination", description: "A destination; its secret is never returned." });

const destinationWithHealth = destination
  .extend({
    health: z.strictObject({
      lastDeliveredAt: timestamp.nullable(),
      lastFailedAt: timestamp.nullable(),
      lastError: z.string().nullable().meta({ example: "HTTP 503" }),
      lastStatus: z.number().int().nullable().meta({ description: "The status of the latest answered attempt." }),
      pending: z.number().int().meta({ description: "Deliveries waiting to be sent or retried." }),
      dead: z.number().int().meta({ description: "Deliveries given up on (the dead letters): replay them." }),
    }),
  })
  .meta({ id: "AuditDestinationWithHealth" });

const delivery = z
  .strictObject({
    id: z.number().int().meta({ description: "The outbox id, sent as X-Palisade-Delivery.", example: 42 }),
    chainPosition: z.number().int(),
    action: z.string().nullable(),
    resource: z.string().nullable(),
    state: z.enum(AUDIT_DELIVERY_STATES),
    attempts: z.number().int(),
    nextAttemptAt: timestamp.nullable(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: "AuditDelivery" });

const destinationPath = z.object({ id: z.string().meta({ description: "The destination's id.", example: "dst_3fa91c0d2b7e4a15" }) });

const SSRF_422 =
  "A field fails validation; also a URL whose host resolves to a loopback, link-local or private address (unless WEBHOOK_ALLOW_PRIVATE=true), does not resolve, or is plain http (`validation_failed`, naming `url`).";

export const auditStreamingPaths: ZodOpenApiPathsObject = {
  "/api/audit-logs/destinations": {
    get: userOperation({
      operationId: "listAuditDestinations",
      tag: AUDIT_STREAMING_TAG,
      family,
      role: "admin",
      summary: "List audit streaming destinations",
      description: "Each with its delivery health: last success and failure, the last error and status, and how many deliveries are pending and dead.",
      responses: { "200": jsonResponse(z.array(destinationWithHealth), "The destinations, oldest first.") },
    }),
    post: userOperation({
      operationId: "createAuditDestination",
      tag: AUDIT_STREAMING_TAG,
      family,
      role: "admin",
      summary: "Add an audit streaming destination",
      description:
        "Every audit row of the organization written from now on (of the listed `actions`, or all) is POSTed to `url`, signed with `secret` (`X-Palisade-Signature: sha256=<hex HMAC-SHA256 of the body>`). The secret is never returned. Audited as `create_audit_destination`.",
      body: { schema: createDestinationBody, example: { url: "https://siem.example.com/palisade", secret: "a-long-random-shared-secret", actions: ["create_policy", "delete_policy"] } },
      responses: { "201": jsonResponse(destination, "The destination, without its secret.") },
      errors: { 422: SSRF_422 },
    }),
  },
  "/api/audit-logs/destinations/{id}": {
    patch: userOperation({
      operationId: "updateAuditDestination",
      tag: AUDIT_STREAMING_TAG,
      family,
      role: "admin",
      summary: "Change an audit streaming destination",
      description: "Enable or disable it, change its URL or actions (null: every action), or rotate its secret. Audited as `update_audit_destination`, without the secret.",
      path: destinationPath,
      body: { schema: updateDestinationBody, example: { enabled: false } },
      responses: { "200": jsonResponse(destination, "The destination as changed.") },
      errors: { 404: true, 422: SSRF_422 },
    }),
    delete: userOperation({
      operationId: "deleteAuditDestination",
      tag: AUDIT_STREAMING_TAG,
      family,
      role: "admin",
      summary: "Delete an audit streaming destination",
      description: "With every delivery it had queued. Audited as `delete_audit_destination`.",
      path: destinationPath,
      responses: { "200": jsonResponse(z.strictObject({ message: z.string(), id: z.string() }), "Deleted.") },
      errors: { 404: true },
    }),
  },
  "/api/audit-logs/destinations/{id}/deliveries": {
    get: userOperation({
      operationId: "listAuditDeliveries",
      tag: AUDIT_STREAMING_TAG,
      family,
      role: "admin",
      summary: "List a destination's deliveries",
      description: "In one `state` (`dead` by default: the dead-letter view), oldest chain position first (`delivered`: newest first). Delivered rows are kept 7 days.",
      path: destinationPath,
      query: listDeliveriesQuery,
      responses: { "200": jsonResponse(z.array(delivery), "The deliveries.") },
      errors: { 404: true },
    }),
  },
  "/api/audit-logs/destinations/{id}/replay": {
    post: userOperation({
      operationId: "replayAuditDeliveries",
      tag: AUDIT_STREAMING_TAG,
      family,
      role: "admin",
      summary: "Replay dead deliveries",
      description: "Puts the destination's dead deliveries (those named in `deliveryIds`, or all) back in the queue with fresh attempts; they go out oldest chain position first. Audited as `replay_audit_deliveries`.",
      path: destinationPath,
      body: { schema: replayBody, required: false, example: { deliveryIds: [42, 43] } },
      responses: { "200": jsonResponse(z.strictObject({ replayed: z.number().int(), deliveryIds: z.array(z.number().int()) }), "What was re-queued.") },
      errors: { 404: true },
    }),
  },
};
