import { parseJsonBody } from "@/lib/api/request";
import { userRoute } from "@/lib/api/route";
import { replayBody } from "@/lib/audit-streaming/schemas";
import { replayDeadDeliveries } from "@/lib/audit-streaming/service";

/** Re-queues the destination's dead deliveries: those named, or all of them. */
export const POST = userRoute<{ id: string }>(
  { family: "detail", role: "admin", audit: ({ id }) => ({ action: "replay_audit_deliveries", resource: `audit-destination:${id}` }) },
  async ({ request, params, actor }) => {
    const body = await parseJsonBody(request, replayBody);
    const replayed = await replayDeadDeliveries({ actor, id: params.id, deliveryIds: body.deliveryIds });
    return Response.json({ replayed: replayed.length, deliveryIds: replayed });
  },
);
