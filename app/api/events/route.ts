import { consoleEventsEndpoint } from "@/lib/agents/data-plane";
import { servePlaneOverFetch } from "@/lib/api/web-plane";

export const dynamic = "force-dynamic";
export const maxDuration = 300;

/** The console's live fleet figures (lib/agents/data-plane.ts); `npm start` serves it on its lean path instead. */
export const GET = servePlaneOverFetch(consoleEventsEndpoint);
