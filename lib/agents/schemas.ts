import { z } from "zod";
import { plainName } from "@/lib/validation";
import { AGENT_STATUSES, REPORTED_POLICY_STATUSES } from "./status";

const labelKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/, "label names are 1-63 letters, digits, '.', '_', '/' or '-'");

const agentLabels = z
  .record(labelKey, plainName({ min: 0, max: 255 }))
  .refine((labels) => Object.keys(labels).length <= 50, "at most 50 labels");

export const enrollBody = z.strictObject({
  enrollmentKey: z.string().min(1).max(200),
  hostname: plainName({ max: 253 }),
  agentVersion: plainName({ max: 64 }).optional(),
  labels: agentLabels.optional(),
});

/** An admin's relabelling: the agent's whole label set. */
export const relabelBody = z.strictObject({ labels: agentLabels });

/** Labels as the console's form writes them: one `name=value` per line. */
export const labelLines = z
  .string()
  .max(16_000)
  .transform((text, context) => {
    const labels: Record<string, string> = {};
    for (const [index, line] of text.split("\n").entries()) {
      if (line.trim() === "") continue;
      const separator = line.indexOf("=");
      if (separator < 0) {
        context.addIssue({ code: "custom", message: `Line ${index + 1}: write name=value` });
        return z.NEVER;
      }
      labels[line.slice(0, separator).trim()] = line.slice(separator + 1).trim();
    }
    return labels;
  })
  .pipe(agentLabels);

/** The last policy an agent refused (unsigned, wrongly signed, an unknown key, a rollback), as its heartbeat reports it. */
export const policyRefusal = z.strictObject({
  version: z.string().trim().max(32).nullable().default(null),
  // An agent's own words: bounded, on one line, and never a control or invisible character, since the console shows them.
  reason: plainName({ max: 500 }),
  at: z.iso.datetime({ offset: true }).optional(),
});

export const heartbeatBody = z.strictObject({
  policyVersion: z.union([z.string().regex(/^v[1-9][0-9]{0,8}$/, 'must look like "v3"'), z.null()], 'must be a version like "v3", or null'),
  agentVersion: plainName({ max: 64 }).optional(),
  hostname: plainName({ max: 253 }).optional(),
  status: z.enum(REPORTED_POLICY_STATUSES, "must be ok or stale").optional(),
  refusal: policyRefusal.nullable().optional(),
});

export const listAgentsQuery = z.object({
  status: z.enum(AGENT_STATUSES).default("all"),
  search: z.string().trim().max(200).optional(),
  limit: z.coerce.number("must be a number").int().min(1).max(1000).default(100),
  offset: z.coerce.number("must be a number").int().min(0).default(0),
});

/** A key that is never given an expiry still expires: a forgotten key must not enrol agents for ever. */
export const DEFAULT_ENROLLMENT_KEY_HOURS = 24;
export const MAX_ENROLLMENT_KEY_HOURS = 24 * 365;

const enrollmentKeyHours = z.number("must be a number").positive("must be greater than 0").max(MAX_ENROLLMENT_KEY_HOURS, `must be at most ${MAX_ENROLLMENT_KEY_HOURS} (a year)`);

export const createEnrollmentKeyBody = z.strictObject({
  uses: z.number().int().min(1).max(1_000_000).optional(),
  expiresHours: enrollmentKeyHours.default(DEFAULT_ENROLLMENT_KEY_HOURS),
});

/** When a key created now with this lifetime expires. */
export const enrollmentKeyExpiry = (hours: number) => new Date(Date.now() + hours * 3_600_000);
