import { userRoute } from "@/lib/api/route";
import { convergenceFeed } from "@/lib/events/convergence-feed";

export const dynamic = "force-dynamic";
export const maxDuration = 300;

/** The console's live event stream: fleet convergence for the caller's organization; a few per user or token. */
export const GET = userRoute({ family: "envelope", role: "viewer" }, ({ request, actor, credential }) =>
  convergenceFeed().open({ orgId: actor.orgId, viewer: credential }, request),
);
