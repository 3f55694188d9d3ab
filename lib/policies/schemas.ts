import { z } from "zod";
import { booleanQuery, plainName, plainText } from "@/lib/validation";
import { POLICY_TYPES } from "./constants";
import { POLICY_KIND_SPECS, POLICY_KINDS, parseSettings, type PolicyKind } from "./kinds";

export const policyId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, "must be 1-64 lowercase letters, digits or hyphens, not starting or ending with a hyphen");

const name = plainName({ max: 200 });
const description = plainText({ max: 2000 });
const type = z.enum(POLICY_TYPES);
const rules = z
  .array(plainName({ max: 500 }))
  .min(1, "must contain at least one rule")
  .max(100, "must contain at most 100 rules");
// Accepted so a client can send back a policy it read, and ignored: they are not writable.
const readOnly = { created_at: z.unknown().optional() };

export const listPoliciesQuery = z.object({
  type: type.optional(),
  enabled: booleanQuery.optional(),
});

/** A policy as the Security Policies API document defines it: name, type and rules, no kind. */
export const documentedPolicyBody = z.strictObject({
  id: policyId.optional(),
  name,
  description: description.default(""),
  type,
  rules,
  enabled: z.boolean().default(true),
  ...readOnly,
});

const kind = z.enum(POLICY_KINDS);
// Settings are validated against the kind's own schema once the kind is known.
const settings = z.unknown();

/** The documented fields, each optional: where a kind or the stored policy supplies what is left out. */
const optionalFields = {
  id: policyId.optional(),
  name: name.optional(),
  description: description.optional(),
  type: type.optional(),
  rules: rules.optional(),
};

const sameRules = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((rule, index) => rule === b[index]);

/**
 * A policy of a kind: its type follows from the kind, its rules are generated from its settings, and its name and
 * description default to the template's. A type or rules sent along must agree (a client may send back what it read).
 * Exported for the OpenAPI document (lib/openapi), which shows it once per kind with that kind's settings.
 */
export const kindedCreateBody = z
  .strictObject({
    ...optionalFields,
    enabled: z.boolean().default(true),
    kind,
    settings: settings.optional(),
    ...readOnly,
  })
  .transform((body, context) => {
    const spec = POLICY_KIND_SPECS[body.kind];
    const parsed = parseSettings(body.kind, body.settings);
    if (!parsed.success) for (const issue of parsed.error.issues) context.addIssue({ ...issue, path: ["settings", ...issue.path] });
    if (body.type !== undefined && body.type !== spec.type) context.addIssue({ code: "custom", path: ["type"], message: `must be "${spec.type}" for a ${body.kind} policy`, input: body.type });
    const generated = parsed.success ? spec.rules(parsed.data as never) : [];
    if (parsed.success && body.rules !== undefined && !sameRules(body.rules, generated)) context.addIssue({ code: "custom", path: ["rules"], message: rulesAreGenerated(body.kind), input: body.rules });
    if (!parsed.success || context.issues.length > 0) return z.NEVER;
    return {
      id: body.id,
      name: body.name ?? spec.name,
      description: body.description ?? spec.description,
      type: spec.type,
      rules: generated,
      enabled: body.enabled,
      kind: body.kind,
      settings: parsed.data as Record<string, unknown>,
    };
  });

export function rulesAreGenerated(policyKind: PolicyKind): string {
  return `are generated from the settings of a ${policyKind} policy: omit them, or send the settings instead`;
}

const hasKind = (input: unknown) => typeof input === "object" && input !== null && "kind" in input;

/**
 * POST /api/policies: the documented policy (name, type, rules), or a policy of a kind with its settings. The body
 * says which by carrying `kind`; each is validated by its own schema, so the documented errors stay as they were.
 */
export const createPolicyBody = z.unknown().transform((input, context) => {
  const parsed = hasKind(input) ? kindedCreateBody.safeParse(input) : documentedPolicyBody.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) context.addIssue({ ...issue });
    return z.NEVER;
  }
  const { created_at: _ignored, ...policy } = { created_at: undefined, kind: null, settings: null, ...parsed.data };
  return policy;
});

const UPDATABLE = ["name", "description", "type", "rules", "enabled", "settings"] as const;

/** PUT /api/policies/{id}: a kind cannot change; settings given are merged into the policy's own. */
export const updatePolicyBody = z
  .strictObject({
    ...optionalFields,
    enabled: z.boolean().optional(),
    kind: kind.optional(),
    settings: z.record(z.string(), z.unknown(), "must be an object").optional(),
    ...readOnly,
  })
  .refine((body) => UPDATABLE.some((key) => body[key] !== undefined), `must contain at least one of ${UPDATABLE.join(", ")}`);

/** PATCH takes no body (it toggles), or `{"enabled": true|false}` to set the state idempotently. */
export const togglePolicyBody = z.strictObject({ enabled: z.boolean().optional() }).optional();

export const deletePolicyQuery = z.object({ confirm: booleanQuery.default(false) });

/** A revision number in a URL. */
export const revisionParam = z.coerce.number("must be a revision number").int().min(1).max(2_147_483_647);
