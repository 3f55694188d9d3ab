import DataLoader from "dataloader";
import { LRUCache } from "lru-cache";
import { findAgentsByTokenHashes } from "@/db/queries/agents";
import type { Agent } from "@/db/schema";
import { hub } from "@/lib/events/hub";
import { processSingleton } from "@/lib/singleton";

/**
 * Agents by token hash, so a fleet's heartbeats and reconnections do not each cost a database lookup.
 * An event meant for one agent (its revocation, new overrides) drops it at once on every instance: its NOTIFY
 * names the agent, and the hub reports it again as it delivers the event. If the LISTEN connection drops,
 * everything is dropped; and no entry outlives TTL_MS, whatever happens.
 */
const TTL_MS = 60_000;
// Token hashes per batched lookup: a reconnect storm costs one query per few hundred agents, not one each.
const MAX_BATCH = 500;

interface AgentCache {
  agents: LRUCache<string, Agent>;
  /** The token hash each cached agent is held under, so dropping one agent does not scan the cache. */
  tokenOf: Map<string, string>;
  /**
   * Counts agents dropped (and cache clears). A lookup that started before a revocation may read the agent as
   * live and finish after the revocation dropped it: it must not put the agent back, so it caches only when
   * nothing was dropped while it ran.
   */
  drops: number;
  /** Lookups of tokens arriving together (in one turn of the event loop) share one query. */
  lookups: DataLoader<string, Agent | null>;
}

function forget(state: AgentCache, agentId: string): void {
  state.drops++;
  const tokenHash = state.tokenOf.get(agentId);
  if (tokenHash !== undefined) state.agents.delete(tokenHash);
}

function cache(): AgentCache {
  return processSingleton("agent token cache", () => {
    const tokenOf = new Map<string, string>();
    const state: AgentCache = {
      agents: new LRUCache<string, Agent>({
        max: 200_000,
        ttl: TTL_MS,
        dispose: (agent, tokenHash) => {
          if (tokenOf.get(agent.id) === tokenHash) tokenOf.delete(agent.id);
        },
      }),
      tokenOf,
      drops: 0,
      lookups: new DataLoader(
        async (tokenHashes) => {
          const found = new Map((await findAgentsByTokenHashes({ tokenHashes })).map((agent) => [agent.tokenHash, agent]));
          return tokenHashes.map((tokenHash) => found.get(tokenHash) ?? null);
        },
        // After the current poll phase: every request read from the sockets in it joins the batch.
        { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: (run) => setImmediate(run) },
      ),
    };
    hub().onAgentEvent(
      (notice) => {
        if (notice.agentId) forget(state, notice.agentId);
      },
      () => {
        state.drops++;
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
  const dropsBefore = state.drops;
  const agent = await state.lookups.load(tokenHash);
  if (agent && state.drops === dropsBefore) {
    state.agents.set(tokenHash, agent);
    state.tokenOf.set(agent.id, tokenHash);
  }
  return agent;
}

/**
 * Whether this agent, as read for this token, is still what the cache holds: nothing meant for it (a revocation,
 * new overrides) has been committed and seen on this instance since. A stream may then start from memory.
 */
export function isCurrentAgent(tokenHash: string, agent: Agent): boolean {
  return cache().agents.peek(tokenHash) === agent;
}

/** Drops an agent on this instance before the change's response leaves (other instances follow its NOTIFY). */
export function forgetAgent(agentId: string): void {
  forget(cache(), agentId);
}
