import { parseJsonBody } from "@/lib/api/request";
import { okResponse, userRoute } from "@/lib/api/route";
import { toPolicyVersionJson } from "@/lib/agent-policy/serialize";
import { ApiError } from "@/lib/errors";
import { hub } from "@/lib/events/hub";
import { createPolicyVersionBody } from "@/lib/agent-policy/schemas";
import { publishPolicyVersion } from "@/lib/agent-policy/service";

/**
 * Publishes a new version of the organization's agent policy: active at once and pushed to connected agents, or,
 * with a `selector`, rolled out to the agents it matches first. `broadcastedTo` counts the connected agents it reached.
 */
export const POST = userRoute({ family: "envelope", role: "admin", audit: () => ({ action: "create_policy_version", resource: "agent-policy" }) }, async ({ request, actor }) => {
  const body = await parseJsonBody(request, createPolicyVersionBody);
  if (body.org_id !== undefined && body.org_id !== actor.orgId) throw ApiError.notFound("Organization not found");
  const version = await publishPolicyVersion({ actor, input: { name: body.name, description: body.description ?? null, rules: body.rules, selector: body.selector } });
  const { id, name, version: label, rules, createdAt, description, stage, selector } = toPolicyVersionJson(version);
  const broadcastedTo = await hub().connectedAgents(actor.orgId, selector ?? undefined);
  const staged = selector === null ? {} : { stage, selector };
  return okResponse({ id, name, version: label, rules, broadcastedTo, createdAt, description, ...staged }, 201);
});
