"use server";

import { refresh } from "next/cache";
import { z } from "zod";
import { overridesBody } from "@/lib/agent-policy/schemas";
import { labelLines } from "@/lib/agents/schemas";
import { relabelAgent, revokeAgent, setAgentOverrides } from "@/lib/agents/service";
import { consoleAction } from "@/lib/auth/actions";

const agentId = z.string().trim().min(1).max(100);

// The same validation as PUT /api/policy/agent/:id/overrides, plus which agent.
const overridesSchema = overridesBody.extend({ id: agentId });
export type OverridesInput = z.input<typeof overridesSchema>;

export const setAgentOverridesAction = consoleAction({ role: "admin", schema: overridesSchema, audit: ({ id }) => ({ action: "set_agent_overrides", resource: `agent:${id}` }) }, async ({ id, rules }, { actor }) => {
  const agent = await setAgentOverrides({ actor, id, overrides: rules });
  if (!agent) return { error: "This agent does not exist or has been revoked." };
  refresh();
  return { success: rules.length === 0 ? "Overrides cleared and pushed to the agent." : "Overrides saved and pushed to the agent." };
});

export const revokeAgentAction = consoleAction({ role: "admin", schema: z.object({ id: agentId }), audit: ({ id }) => ({ action: "revoke_agent", resource: `agent:${id}` }) }, async ({ id }, { actor }) => {
  const agent = await revokeAgent({ actor, id });
  if (!agent) return { error: "This agent does not exist or is already revoked." };
  refresh();
  return { success: `Revoked ${agent.hostname}: its token no longer works and its stream is closed.` };
});

export const relabelAgentAction = consoleAction(
  { role: "admin", schema: z.object({ id: agentId, labels: labelLines }), audit: ({ id }) => ({ action: "relabel_agent", resource: `agent:${id}` }) },
  async ({ id, labels }, { actor }) => {
    const agent = await relabelAgent({ actor, id, labels });
    if (!agent) return { error: "This agent does not exist or has been revoked." };
    refresh();
    return { success: "Labels saved." };
  },
);
