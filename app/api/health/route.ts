import { databaseReady } from "@/db";
import { pingDatabase } from "@/db/queries/health";
import { logError } from "@/lib/log";

/** For load balancers and orchestrators: 200 when this instance can reach its database, 503 otherwise. */
export async function GET() {
  try {
    await databaseReady();
    await pingDatabase();
    return Response.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    logError("health check", error);
    return Response.json({ status: "unavailable" }, { status: 503, headers: { "Cache-Control": "no-store" } });
  }
}
