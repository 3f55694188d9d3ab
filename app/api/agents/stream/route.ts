import { agentRoute } from "@/lib/api/route";
import { openAgentStream } from "@/lib/events/open-agent-stream";

export const dynamic = "force-dynamic";
// Vercel ends a function at its limit; agents reconnect with Last-Event-ID and lose nothing.
export const maxDuration = 300;

/** The agent's event stream: its effective policy first, then every change that affects it, live. */
export const GET = agentRoute(({ request, agent }) => openAgentStream(agent, request));
