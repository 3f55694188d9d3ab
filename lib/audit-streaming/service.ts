import "server-only";
import {
  deleteAuditDestinationRow,
  insertAuditDestination,
  lockAuditDestination,
  requeueDeadDeliveries,
  updateAuditDestinationRow,
  type PublicAuditDestination,
} from "@/db/queries/audit-destinations";
import { getDb } from "@/db";
import type { AuditDestination } from "@/db/schema";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";
import { encryptSecret } from "@/lib/auth/crypto";
import { ApiError } from "@/lib/errors";
import { newAuditDestinationId } from "@/lib/ids";
import { checkedAddress, DestinationRefused, privateDestinationsAllowed } from "./address-guard";
import type { DestinationUpdate } from "./schemas";

const urlProblem = (message: string) => ApiError.validation([{ code: "custom", path: ["url"], message, input: undefined }], "body");

/**
 * The rules a URL meets beyond its shape: https (plain http only with WEBHOOK_ALLOW_PRIVATE=true), and a host that
 * resolves to public addresses only (the SSRF guard; checked again at every delivery). 422 naming `url` otherwise.
 */
export async function assertDeliverableUrl(url: string): Promise<void> {
  const target = new URL(url);
  if (target.protocol !== "https:" && !privateDestinationsAllowed()) throw urlProblem("must be an https:// URL (plain http needs WEBHOOK_ALLOW_PRIVATE=true)");
  try {
    await checkedAddress(target);
  } catch (error) {
    if (error instanceof DestinationRefused) throw urlProblem(error.message);
    throw error;
  }
}

/** The URL as audit rows record it: without its query string, which may carry a receiver's token. */
function auditedUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

const actionsText = (actions: string[] | null) => (actions === null ? "every action" : actions.join(", "));

/** What an audit row's before/after shows of a destination: never its secret. */
function snapshot(destination: PublicAuditDestination) {
  return { id: destination.id, url: auditedUrl(destination.url), actions: destination.actions, enabled: destination.enabled };
}

const resourceOf = (id: string) => `audit-destination:${id}`;

/** Adds a destination, audited; its secret is sealed and never shown again. */
export async function createDestination({ actor, url, secret, actions }: { actor: Actor; url: string; secret: string; actions: string[] | null }): Promise<PublicAuditDestination> {
  await assertDeliverableUrl(url);
  return getDb().transaction(async (tx) => {
    const destination = await insertAuditDestination(
      { id: newAuditDestinationId(), orgId: actor.orgId, url, sealedSecret: encryptSecret(secret), actions, createdBy: actor.email },
      tx,
    );
    await recordAudit(
      actor,
      {
        action: "create_audit_destination",
        resource: resourceOf(destination.id),
        details: `Added audit streaming destination ${auditedUrl(url)} (${actionsText(actions)})`,
        success: true,
        after: snapshot(destination),
      },
      tx,
    );
    return destination;
  });
}

async function notFound(actor: Actor, action: "update_audit_destination" | "delete_audit_destination" | "replay_audit_deliveries", id: string): Promise<never> {
  await recordFailure(actor, { action, resource: resourceOf(id), details: "Refused: no such destination" });
  throw ApiError.notFound("Destination not found");
}

/** Changes a destination (URL, secret, actions, enabled), audited with before and after; 404 for another organization's. */
export async function updateDestination({ actor, id, update }: { actor: Actor; id: string; update: DestinationUpdate }): Promise<PublicAuditDestination> {
  if (update.url !== undefined) await assertDeliverableUrl(update.url);
  const set: Partial<Pick<AuditDestination, "url" | "sealedSecret" | "actions" | "enabled">> = {};
  if (update.url !== undefined) set.url = update.url;
  if (update.secret !== undefined) set.sealedSecret = encryptSecret(update.secret);
  if (update.actions !== undefined) set.actions = update.actions;
  if (update.enabled !== undefined) set.enabled = update.enabled;
  const updated = await getDb().transaction(async (tx) => {
    const before = await lockAuditDestination({ orgId: actor.orgId, id }, tx);
    if (!before) return null;
    const after = (await updateAuditDestinationRow({ orgId: actor.orgId, id, set }, tx))!;
    const changes = [
      update.url !== undefined && update.url !== before.url ? `URL ${auditedUrl(after.url)}` : null,
      update.secret !== undefined ? "secret rotated" : null,
      update.actions !== undefined ? `actions: ${actionsText(after.actions)}` : null,
      update.enabled !== undefined && update.enabled !== before.enabled ? (after.enabled ? "enabled" : "disabled") : null,
    ].filter((change) => change !== null);
    await recordAudit(
      actor,
      {
        action: "update_audit_destination",
        resource: resourceOf(id),
        details: `Changed audit streaming destination ${auditedUrl(after.url)}: ${changes.length > 0 ? changes.join("; ") : "no change"}`,
        success: true,
        before: snapshot(before),
        after: snapshot(after),
      },
      tx,
    );
    return after;
  });
  return updated ?? notFound(actor, "update_audit_destination", id);
}

/** Deletes a destination and its queued deliveries, audited; 404 for another organization's. */
export async function deleteDestination({ actor, id }: { actor: Actor; id: string }): Promise<PublicAuditDestination> {
  const deleted = await getDb().transaction(async (tx) => {
    const destination = await deleteAuditDestinationRow({ orgId: actor.orgId, id }, tx);
    if (!destination) return null;
    await recordAudit(
      actor,
      { action: "delete_audit_destination", resource: resourceOf(id), details: `Deleted audit streaming destination ${auditedUrl(destination.url)}`, success: true, before: snapshot(destination) },
      tx,
    );
    return destination;
  });
  return deleted ?? notFound(actor, "delete_audit_destination", id);
}

/**
 * Puts dead deliveries back in the queue (all of the destination's, or those named), due now with fresh attempts,
 * audited. They go out oldest chain position first, ahead of the destination's later rows.
 */
export async function replayDeadDeliveries({ actor, id, deliveryIds }: { actor: Actor; id: string; deliveryIds?: number[] }): Promise<number[]> {
  const replayed = await getDb().transaction(async (tx) => {
    const destination = await lockAuditDestination({ orgId: actor.orgId, id }, tx);
    if (!destination) return null;
    const ids = await requeueDeadDeliveries({ orgId: actor.orgId, destinationId: id, ids: deliveryIds }, tx);
    await recordAudit(
      actor,
      {
        action: "replay_audit_deliveries",
        resource: resourceOf(id),
        details: `Replayed ${ids.length} dead ${ids.length === 1 ? "delivery" : "deliveries"} to ${auditedUrl(destination.url)}${deliveryIds ? ` (${deliveryIds.length} named)` : ""}`,
        success: true,
        after: { deliveryIds: ids },
      },
      tx,
    );
    return ids;
  });
  return replayed ?? notFound(actor, "replay_audit_deliveries", id);
}
