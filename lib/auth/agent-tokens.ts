import { LRUCache } from "lru-cache";
import { findAgentByTokenHash } from "@/db/queries/agents";
import type { Agent } from "@/db/schema";
import { hub } from "@/lib/events/hub";

/**
 * Agents by token hash, so a fleet's heartbeats and reconnections do not each cost a database lookup.
 * A revocation drops its agent at once on every instance (its event's NOTIFY names the agent); if the LISTEN
 * connection drops, everything is dropped; and no entry outlives TTL_MS, whatever happens.
 */
const TTL_MS = 60_000;

interface AgentCache {
  agents: LRUCache<string, Agent>;
}

const globalForAgents = globalThis as unknown as { palisadeAgentCache?: AgentCache };

function forget(agents: LRUCache<string, Agent>, agentId: string): void {
  agents.forEach((agent, tokenHash) => {
    if (agent.id === agentId) agents.delete(tokenHash);
  });
}

function cache(): AgentCache {
  if (!globalForAgents.palisadeAgentCache) {
    const agents = new LRUCache<string, Agent>({ max: 200_000, ttl: TTL_MS });
    hub().onAgentEvent(
      (notice) => {
        if (notice.type === "revoked" && notice.agentId) forget(agents, notice.agentId);
      },
      () => agents.clear(),
    );
    globalForAgents.palisadeAgentCache = { agents };
  }
  return globalForAgents.palisadeAgentCache;
}

/** The live agent holding this token hash, or null. Only found agents are cached: unknown tokens always reach the database. */
export async function agentForTokenHash(tokenHash: string): Promise<Agent | null> {
  const { agents } = cache();
  const cached = agents.get(tokenHash);
  if (cached) return cached;
  const agent = await findAgentByTokenHash({ tokenHash });
  if (agent) agents.set(tokenHash, agent);
  return agent;
}

/** Drops a revoked agent on this instance before the revocation's response leaves (other instances follow its NOTIFY). */
export function forgetAgent(agentId: string): void {
  forget(cache().agents, agentId);
}
