"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { createPolicyBody, documentedPolicyBody, policyId, revisionParam } from "@/lib/policies/schemas";
import { createPolicy, deletePolicy, restorePolicy, togglePolicy, updatePolicy } from "@/lib/policies/service";
import { consoleAction } from "@/lib/auth/actions";
import { generatePolicyId } from "@/lib/policies/ids";

/** Policies show on the overview, the list and their own pages: every console page is refreshed. */
const refreshConsole = () => revalidatePath("/", "layout");

/** Sets the state rather than flipping it, so a double click or a stale page cannot undo the user's intent. */
export const togglePolicyAction = consoleAction(
  { role: "admin", schema: z.object({ id: policyId, enabled: z.boolean() }), audit: ({ id }) => ({ action: "toggle_policy", resource: `policy:${id}` }) },
  async ({ id, enabled }, { actor }) => {
    const policy = await togglePolicy({ actor, id, enabled });
    refreshConsole();
    return { success: policy.enabled ? "Policy enabled" : "Policy disabled" };
  },
);

const policyPage = (id: string) => `/policies/${encodeURIComponent(id)}`;

/** The same fields, limits and messages as `POST /api/policies`. Opens the new policy's page (in the same response). */
export const createPolicyAction = consoleAction({ role: "admin", schema: createPolicyBody, audit: () => ({ action: "create_policy", resource: "policies" }) }, async (input, { actor }) => {
  const policy = await createPolicy({ actor, input: { ...input, id: input.id ?? generatePolicyId(input.name) } });
  refreshConsole();
  redirect(policyPage(policy.id));
});

/** Any policy, the defaults included, can be edited; the id and the enabled state are not part of the form. Back to its page. */
export const updatePolicyAction = consoleAction(
  {
    role: "admin",
    schema: documentedPolicyBody.pick({ name: true, description: true, type: true, rules: true }).extend({ id: policyId }),
    audit: ({ id }) => ({ action: "update_policy", resource: `policy:${id}` }),
  },
  async ({ id, ...update }, { actor }) => {
    const policy = await updatePolicy({ actor, id, update });
    refreshConsole();
    redirect(policyPage(policy.id));
  },
);

/** A policy of a kind: its name, description and settings (merged into its own); its rules follow from them. Back to its page. */
export const updatePolicySettingsAction = consoleAction(
  {
    role: "admin",
    schema: documentedPolicyBody.pick({ name: true, description: true }).extend({ id: policyId, settings: z.record(z.string(), z.unknown()) }),
    audit: ({ id }) => ({ action: "update_policy", resource: `policy:${id}` }),
  },
  async ({ id, ...update }, { actor }) => {
    const policy = await updatePolicy({ actor, id, update });
    refreshConsole();
    redirect(policyPage(policy.id));
  },
);

/** `confirmed` is sent only after the stronger warning that a critical default needs was accepted. Back to the list. */
export const deletePolicyAction = consoleAction(
  { role: "admin", schema: z.object({ id: policyId, confirmed: z.boolean().default(false) }), audit: ({ id }) => ({ action: "delete_policy", resource: `policy:${id}` }) },
  async ({ id, confirmed }, { actor }) => {
    await deletePolicy({ actor, id, confirmed });
    refreshConsole();
    redirect("/policies");
  },
);

/** Restores a revision as the policy's newest (recreating a deleted policy), then opens its page. */
export const restorePolicyAction = consoleAction(
  { role: "admin", schema: z.object({ id: policyId, revision: revisionParam }), audit: ({ id }) => ({ action: "restore_policy", resource: `policy:${id}` }) },
  async ({ id, revision }, { actor }) => {
    const policy = await restorePolicy({ actor, id, revision });
    refreshConsole();
    redirect(policyPage(policy.id));
  },
);
