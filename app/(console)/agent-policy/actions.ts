"use server";

import { refresh } from "next/cache";
import { z } from "zod";
import { getPolicyVersion } from "@/db/queries/agent-policies";
import { createPolicyVersionBody } from "@/lib/agent-policy/schemas";
import { labelSelectorSchema } from "@/lib/agent-policy/selector";
import { endPolicyRollout, publishPolicyVersion, republishPolicyVersion, type RolloutOutcome } from "@/lib/agent-policy/service";
import { consoleAction } from "@/lib/auth/actions";
import { ApprovalRequired } from "@/lib/change-requests/gate";
import { formatVersion } from "@/lib/agent-policy/rules";
import { hub } from "@/lib/events/hub";

// The console publishes exactly what POST /api/policy accepts; the organization is always the admin's own. The form
// always sends its selector field: left empty, the version goes to the whole fleet.
const publishSchema = createPolicyVersionBody.omit({ org_id: true }).extend({
  selector: z
    .string()
    .transform((text) => text.trim() || undefined)
    .pipe(labelSelectorSchema.optional())
    .optional(),
});
export type PublishInput = z.input<typeof publishSchema>;

export const publishPolicyVersionAction = consoleAction<typeof publishSchema, { version: string; pushed: number }>(
  { role: "admin", schema: publishSchema, audit: () => ({ action: "create_policy_version", resource: "agent-policy" }) },
  async ({ name, description, rules, selector }, { actor }) => {
    const created = await publishPolicyVersion({ actor, input: { name, description: description || null, rules, ...(selector === undefined ? {} : { selector }) } });
    const label = formatVersion(created.version);
    // A staged version reaches only the connected agents its selector matches.
    const pushed = await hub().connectedAgents(actor.orgId, created.selector ?? undefined);
    return { success: created.selector === null ? `Published ${label}.` : `Published ${label}, rolling out to ${created.selector}.`, data: { version: label, pushed } };
  },
);

const versionSchema = z.object({ version: z.coerce.number().int().positive() });

/** Rollback: an old version's rules, name and description published again as the newest version. */
export const republishPolicyVersionAction = consoleAction({ role: "admin", schema: versionSchema, audit: ({ version }) => ({ action: "create_policy_version", resource: `agent-policy:v${version}` }) }, async ({ version }, { actor }) => {
  const source = await getPolicyVersion({ orgId: actor.orgId, version });
  if (!source) return { error: `Version ${formatVersion(version)} does not exist.` };
  const created = await republishPolicyVersion({ actor, source });
  refresh();
  return { success: `Republished ${formatVersion(source.version)} as ${formatVersion(created.version)}, now active.` };
});

/** Ends the rollout in progress one way or the other; while four-eyes is on, a change request is filed instead. */
function endRolloutAction(outcome: RolloutOutcome) {
  const action = outcome === "promoted" ? "promote_policy_version" : "abort_policy_version";
  return consoleAction({ role: "admin", schema: versionSchema, audit: ({ version }) => ({ action, resource: `agent-policy:v${version}` }) }, async ({ version }, { actor }) => {
    const ended = await endPolicyRollout({ actor, version, outcome }).catch((error: unknown) => {
      // Held for a second admin: the rollout card shows the request awaiting approval; the button says it was filed.
      if (error instanceof ApprovalRequired) refresh();
      throw error;
    });
    refresh();
    const label = formatVersion(ended.version);
    return { success: outcome === "promoted" ? `Promoted ${label} to the whole fleet.` : `Aborted the rollout of ${label}: its agents return to the active version.` };
  });
}

/** The rollout's version becomes the active one, for every agent. */
export const promotePolicyVersionAction = endRolloutAction("promoted");

/** The rollout's agents go back to the active version; the version stays in the history, aborted. */
export const abortPolicyVersionAction = endRolloutAction("aborted");
