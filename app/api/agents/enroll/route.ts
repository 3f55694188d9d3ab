import { enrollAgent } from "@/db/queries/agents";
import { clientIp, parseJsonBody, userAgent } from "@/lib/api/request";
import { okResponse, publicRoute } from "@/lib/api/route";
import { hashSecret, issueSecret } from "@/lib/auth/secrets";
import { ApiError } from "@/lib/errors";
import { enrollBody } from "../schema";

/** An agent trades an enrollment key for its own token, shown this once and stored only as a hash. */
export const POST = publicRoute("envelope", async ({ request }) => {
  const body = await parseJsonBody(request, enrollBody);
  const token = issueSecret("agentToken");
  const agent = await enrollAgent({
    keyHash: hashSecret(body.enrollmentKey),
    tokenHash: token.hash,
    hostname: body.hostname,
    agentVersion: body.agentVersion ?? null,
    labels: body.labels ?? {},
    ip: clientIp(request),
    userAgent: userAgent(request),
  });
  if (!agent) throw new ApiError("unauthenticated", "The enrollment key is unknown, revoked, expired or used up");
  return okResponse({ agentId: agent.id, token: token.secret }, 201);
});
