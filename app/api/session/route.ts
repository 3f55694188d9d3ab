import { publicRoute } from "@/lib/api/route";
import { sessionFromRequest } from "@/lib/auth/session";
import { ApiError } from "@/lib/errors";

export const dynamic = "force-dynamic";

/**
 * The console session's state, for an open page to notice when it ends: 401 once it has (signed out, timed out,
 * ended elsewhere), else when a session timeout policy ends it. Asking is not use of the session.
 */
export const GET = publicRoute("detail", async ({ request }) => {
  const session = await sessionFromRequest(request, { active: false });
  if (!session || session.access !== "ok") throw ApiError.unauthenticated();
  return Response.json({
    email: session.user.email,
    expiresAt: session.deadlines?.expiresAt.toISOString() ?? null,
    idleExpiresAt: session.deadlines?.idleExpiresAt.toISOString() ?? null,
  });
});
