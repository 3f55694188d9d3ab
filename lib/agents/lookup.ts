import { getAgent } from "@/db/queries/agents";
import type { Agent } from "@/db/schema";
import { ApiError } from "@/lib/errors";

/** The organization's agent named in a URL; another organization's agent is not found either. */
export async function requireAgent(orgId: string, id: string): Promise<Agent> {
  const agent = await getAgent({ orgId, id });
  if (!agent) throw ApiError.notFound("Agent not found");
  return agent;
}
