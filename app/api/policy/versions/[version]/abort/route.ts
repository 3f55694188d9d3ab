import { endRolloutRoute } from "@/lib/api/rollout-endings";

export const POST = endRolloutRoute("aborted");
