"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { consoleAction } from "@/lib/auth/actions";
import { destinationActionsText, destinationSecret, destinationUrl } from "@/lib/audit-streaming/schemas";
import { createDestination, deleteDestination, replayDeadDeliveries, updateDestination } from "@/lib/audit-streaming/service";

const PAGE = "/settings/audit-streaming";
const destinationId = z.string().min(1).max(64);

const createSchema = z.object({ url: destinationUrl, secret: destinationSecret, actions: destinationActionsText });

/** Adds a destination; the secret is sealed and never shown again. */
export const createDestinationAction = consoleAction(
  { role: "admin", schema: createSchema, audit: () => ({ action: "create_audit_destination", resource: "audit-destinations" }) },
  async ({ url, secret, actions }, { actor }) => {
    await createDestination({ actor, url, secret, actions });
    revalidatePath(PAGE);
    return { success: `Added ${url}` };
  },
);

// A blank secret keeps the current one.
const editSchema = z.object({
  id: destinationId,
  url: destinationUrl,
  actions: destinationActionsText,
  secret: z.preprocess((value) => (value === "" ? undefined : value), destinationSecret.optional()),
});

/** Changes a destination's URL and actions, and rotates its secret when a new one is entered. */
export const editDestinationAction = consoleAction(
  { role: "admin", schema: editSchema, audit: ({ id }) => ({ action: "update_audit_destination", resource: `audit-destination:${id}` }) },
  async ({ id, url, actions, secret }, { actor }) => {
    await updateDestination({ actor, id, update: { url, actions, secret } });
    revalidatePath(PAGE);
    return { success: secret ? "Saved; the secret was rotated" : "Saved" };
  },
);

export const setDestinationEnabledAction = consoleAction(
  { role: "admin", schema: z.object({ id: destinationId, enabled: z.boolean() }), audit: ({ id }) => ({ action: "update_audit_destination", resource: `audit-destination:${id}` }) },
  async ({ id, enabled }, { actor }) => {
    await updateDestination({ actor, id, update: { enabled } });
    revalidatePath(PAGE);
    return { success: enabled ? "Enabled" : "Disabled" };
  },
);

export const deleteDestinationAction = consoleAction(
  { role: "admin", schema: z.object({ id: destinationId }), audit: ({ id }) => ({ action: "delete_audit_destination", resource: `audit-destination:${id}` }) },
  async ({ id }, { actor }) => {
    await deleteDestination({ actor, id });
    revalidatePath(PAGE);
    return { success: "Deleted" };
  },
);

/** Re-queues one dead delivery, or all of a destination's. */
export const replayAction = consoleAction(
  {
    role: "admin",
    schema: z.object({ id: destinationId, deliveryId: z.number().int().positive().optional() }),
    audit: ({ id }) => ({ action: "replay_audit_deliveries", resource: `audit-destination:${id}` }),
  },
  async ({ id, deliveryId }, { actor }) => {
    const replayed = await replayDeadDeliveries({ actor, id, deliveryIds: deliveryId === undefined ? undefined : [deliveryId] });
    revalidatePath(PAGE);
    return { success: `Replayed ${replayed.length}` };
  },
);
