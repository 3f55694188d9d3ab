import { clientIp, parseJsonBody, userAgent } from "@/lib/api/request";
import { okResponse, publicRoute } from "@/lib/api/route";
import { enrollBody } from "@/lib/agents/schemas";
import { enrollAgent } from "@/lib/agents/service";
import { ApiError } from "@/lib/errors";

/** An agent trades an enrollment key for its own token, shown this once and stored only as a hash. */
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
  return okResponse({ agentId: enrolled.agent.id, token: enrolled.token }, 201);
});
