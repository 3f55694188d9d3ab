import { heartbeats } from "@/lib/agents/heartbeats";
import { hub } from "./hub";

/** Writes the heartbeats that only this process holds, then stops the hub and closes its streams. */
export async function stopEventDelivery(): Promise<void> {
  await heartbeats().flush();
  await hub().stop();
}
