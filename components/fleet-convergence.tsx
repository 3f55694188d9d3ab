import { fleetConvergence } from "@/db/queries/convergence";
import { toConvergenceJson } from "@/lib/agent-policy/serialize";
import { env } from "@/lib/env";
import { FleetConvergenceLive } from "./fleet-convergence-live";

/**
 * The fleet's convergence on the agent policy, for any console page: rendered on the server (so it shows
 * before the event stream connects), then kept current live from GET /api/events.
 * Usage: <FleetConvergence orgId={user.orgId} />
 */
export async function FleetConvergence({ orgId }: { orgId: string }) {
  const fleet = await fleetConvergence({ orgId, offlineAfterSeconds: env().AGENT_OFFLINE_AFTER_SECONDS });
  return <FleetConvergenceLive initial={toConvergenceJson(fleet)} />;
}
