import { LRUCache } from "lru-cache";
import { findAgentByTokenHash } from "@/db/queries/agents";
import type { Agent } from "@/db/schema";
import { hub } from "@/lib/events/hub";
import { processSingleton } from "@/lib/singleton";

/**
 * Agents by token hash, so a fleet's heartbeats and reconnections do not each cost a database lookup.
 * A revocation drops its agent at once on every instance (its event's NOTIFY names the agent); if the LISTEN
 * connection drops, everything is dropped; and no entry outlives TTL_MS, whatever happens.
 */
const TTL_MS = 60_000;

interface AgentCache {
  agents: LRUCache<string, Agent>;
  /**
   * Counts revocations seen (and cache clears). A lookup that started before a revocation may read the agent as
   * live and finish after the revocation dropped it: it must not put the agent back, so it caches only when no
   * revocation happened while it ran.
   */
  revocations: number;
}

function forget(state: AgentCache, agentId: string): void {
  state.revocations++;
  state.agents.forEach((agent, tokenHash) => {
    if (agent.id === agentId) state.agents.delete(tokenHash);
  });
}

function cache(): AgentCache {
  return processSingleton("agent token cache", () => {
    const state: AgentCache = { agents: new LRUCache<string, Agent>({ max: 200_000, ttl: TTL_MS }), revocations: 0 };
    hub().onAgentEvent(
      (notice) => {
        if (notice.type === "revoked" && notice.agentId) forget(state, notice.agentId);
      },
      () => {
        state.revocations++;
        state.agents.clear();
      },
    );
    return state;
  });
}

/** The live agent holding this token hash, or null. Only found agents are cached: unknown tokens always reach the database. */
export async function agentForTokenHash(tokenHash: string): Promise<Agent | null> {
  const state = cache();
  const cached = state.agents.get(tokenHash);
  if (cached) return cached;
  const revocationsBefore = state.revocations;
  const agent = await findAgentByTokenHash({ tokenHash });
  if (agent && state.revocations === revocationsBefore) state.agents.set(tokenHash, agent);
  return agent;
}

/** Drops a revoked agent on this instance before the revocation's response leaves (other instances follow its NOTIFY). */
export function forgetAgent(agentId: string): void {
  forget(cache(), agentId);
}
