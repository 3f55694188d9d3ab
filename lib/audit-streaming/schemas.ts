import { z } from "zod";
import { AUDIT_ACTIONS } from "@/lib/audit/actions";
import { AUDIT_DELIVERY_STATES } from "@/lib/audit/constants";

/**
 * What an admin sends to configure a destination. Safe for the browser (the console form validates with it). The
 * address rules that need DNS and the environment (SSRF guard, http only with WEBHOOK_ALLOW_PRIVATE) run on the server.
 */
export const destinationUrl = z
  .string()
  .trim()
  .min(1, "is required")
  .max(2048)
  .refine((value) => URL.canParse(value), "must be an absolute URL, e.g. https://siem.example.com/palisade")
  .refine((value) => !URL.canParse(value) || ["https:", "http:"].includes(new URL(value).protocol), "must be an https:// URL")
  .refine((value) => !URL.canParse(value) || (new URL(value).username === "" && new URL(value).password === ""), "must not carry credentials: use the secret");

/** The HMAC key the destination shares: entered once, never shown again. */
export const destinationSecret = z.string().min(16, "must be at least 16 characters").max(512).regex(/^[\x20-\x7e]+$/, "must be printable ASCII");

/** The audit actions sent; null (or absent at creation) sends every action. */
export const destinationActions = z
  .array(z.enum(AUDIT_ACTIONS, { error: (issue) => `${typeof issue.input === "string" ? issue.input.slice(0, 100) : "this"} is not a known audit action` }))
  .min(1, "list at least one action, or send null for every action")
  .max(AUDIT_ACTIONS.length)
  .transform((actions) => [...new Set(actions)]);

export const createDestinationBody = z.strictObject({
  url: destinationUrl,
  secret: destinationSecret,
  actions: destinationActions.nullable().optional(),
});

export const updateDestinationBody = z
  .strictObject({
    url: destinationUrl.optional(),
    secret: destinationSecret.optional(),
    actions: destinationActions.nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), "send at least one of url, secret, actions, enabled");

export type DestinationUpdate = z.output<typeof updateDestinationBody>;

const deliveryId = z.number().int().positive();

export const replayBody = z
  .strictObject({ deliveryIds: z.array(deliveryId).min(1).max(1000).optional() })
  .optional()
  .transform((body) => body ?? {});

export const listDeliveriesQuery = z.object({
  state: z.enum(AUDIT_DELIVERY_STATES, "must be pending, delivered or dead").default("dead"),
  limit: z.coerce.number("must be a number").int("must be a whole number").min(1).max(500).default(100),
});

/**
 * The actions as the console's form writes them: names separated by commas, spaces or lines; blank for every
 * action (null).
 */
export const destinationActionsText = z
  .string()
  .max(10_000)
  .transform((text) => {
    const names = text.split(/[\s,]+/).filter((name) => name !== "");
    return names.length === 0 ? null : names;
  })
  .pipe(destinationActions.nullable());
