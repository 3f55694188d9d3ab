import { heartbeatEndpoint } from "@/lib/agents/data-plane";
import { servePlaneOverFetch } from "@/lib/api/web-plane";

/** An agent's heartbeat (lib/agents/data-plane.ts); `npm start` serves it on its lean path instead. */
export const POST = servePlaneOverFetch(heartbeatEndpoint);
