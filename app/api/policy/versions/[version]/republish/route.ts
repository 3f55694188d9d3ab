import { okResponse, userRoute } from "@/lib/api/route";
import { requireVersion } from "@/lib/agent-policy/lookup";
import { toPolicyVersionJson } from "@/lib/agent-policy/serialize";
import { republishPolicyVersion } from "@/lib/agent-policy/service";
import { hub } from "@/lib/events/hub";

/** Rollback: publishes an old version's rules again as a new version, which agents then apply like any other. */
export const POST = userRoute<{ version: string }>({ family: "envelope", role: "admin", audit: ({ version }) => ({ action: "create_policy_version", resource: `agent-policy:${version}` }) }, async ({ params, actor }) => {
  const source = await requireVersion(actor.orgId, params.version);
  const version = await republishPolicyVersion({ actor, source });
  return okResponse({ ...toPolicyVersionJson(version), broadcastedTo: await hub().connectedAgents(actor.orgId) }, 201);
});
