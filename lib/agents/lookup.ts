import { getAgent } from "@/db/queries/agents";
import type { Agent } from "@/db/schema";
import { ApiError } from "@/lib/errors";
import { heartbeats } from "./heartbeats";

/**
 * The organization's agent named in a URL, with every heartbeat this instance has answered written; another
 * organization's agent is not found either.
 */
export async function requireAgent(orgId: string, id: string): Promise<Agent> {
  await heartbeats().written(orgId);
  const agent = await getAgent({ orgId, id });
  if (!agent) throw ApiError.notFound("Agent not found");
  return agent;
}
