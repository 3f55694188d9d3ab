import { agentStreamEndpoint } from "@/lib/agents/data-plane";
import { servePlaneOverFetch } from "@/lib/api/web-plane";

export const dynamic = "force-dynamic";
// Vercel ends a function at its limit; agents reconnect with Last-Event-ID and lose nothing.
export const maxDuration = 300;

/** The agent's event stream (lib/agents/data-plane.ts); `npm start` serves it on its lean path instead. */
export const GET = servePlaneOverFetch(agentStreamEndpoint);
