import { clientIp, parseJsonBody, userAgent } from "@/lib/api/request";
import { okResponse, publicRoute } from "@/lib/api/route";
import { enrollBody } from "@/lib/agents/schemas";
import { enrollAgent } from "@/lib/agents/service";
import { policySigningKey } from "@/lib/agent-policy/signatures";
import { ApiError } from "@/lib/errors";

/**
 * An agent trades an enrollment key for its own token, shown this once and stored only as a hash. It learns the key
 * its policies are signed with, to pin, and the organization its policies name.
 */
export const POST = publicRoute("envelope", async ({ request }) => {
  const body = await parseJsonBody(request, enrollBody);
  const enrolled = await enrollAgent({
    enrollmentKey: body.enrollmentKey,
    hostname: body.hostname,
    agentVersion: body.agentVersion ?? null,
    labels: body.labels ?? {},
    ip: clientIp(request),
    userAgent: userAgent(request),
  });
  if (!enrolled) throw new ApiError("unauthenticated", "The enrollment key is unknown, revoked, expired or used up");
  return okResponse({ agentId: enrolled.agent.id, orgId: enrolled.agent.orgId, token: enrolled.token, policySigningKey: policySigningKey() }, 201);
});
