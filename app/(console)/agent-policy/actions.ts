"use server";

import { refresh } from "next/cache";
import { z } from "zod";
import { getPolicyVersion } from "@/db/queries/agent-policies";
import { createPolicyVersionBody } from "@/lib/agent-policy/schemas";
import { publishPolicyVersion, republishPolicyVersion } from "@/lib/agent-policy/service";
import { consoleAction } from "@/lib/auth/actions";
import { formatVersion } from "@/lib/agent-policy/rules";
import { hub } from "@/lib/events/hub";

// The console publishes exactly what POST /api/policy accepts; the organization is always the admin's own.
const publishSchema = createPolicyVersionBody.omit({ org_id: true });
export type PublishInput = z.input<typeof publishSchema>;

export const publishPolicyVersionAction = consoleAction<typeof publishSchema, { version: string; pushed: number }>(
  { role: "admin", schema: publishSchema, audit: () => ({ action: "create_policy_version", resource: "agent-policy" }) },
  async ({ name, description, rules }, { actor }) => {
    const created = await publishPolicyVersion({ actor, input: { name, description: description || null, rules } });
    const pushed = await hub().connectedAgents(actor.orgId);
    return { success: `Published ${formatVersion(created.version)}.`, data: { version: formatVersion(created.version), pushed } };
  },
);

const republishSchema = z.object({ version: z.coerce.number().int().positive() });

/** Rollback: an old version's rules, name and description published again as the newest version. */
export const republishPolicyVersionAction = consoleAction({ role: "admin", schema: republishSchema, audit: ({ version }) => ({ action: "create_policy_version", resource: `agent-policy:v${version}` }) }, async ({ version }, { actor }) => {
  const source = await getPolicyVersion({ orgId: actor.orgId, version });
  if (!source) return { error: `Version ${formatVersion(version)} does not exist.` };
  const created = await republishPolicyVersion({ actor, source });
  refresh();
  return { success: `Republished ${formatVersion(source.version)} as ${formatVersion(created.version)}, now active.` };
});
