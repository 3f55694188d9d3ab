import { notFound } from "next/navigation";
import { cache } from "react";
import { getPolicy } from "@/db/queries/policies";
import { requireUser } from "@/lib/auth/session";

/**
 * The policy of a /policies/[id] page in the viewer's organization, or the 404 page. Cached per request,
 * so the page and its metadata share one lookup. `admin` sends viewers away, for the edit form.
 */
export const loadPolicy = cache(async (id: string, role?: "admin") => {
  const { user } = await requireUser({ role });
  const policy = await getPolicy({ orgId: user.orgId, id });
  if (!policy) notFound();
  return { user, policy };
});
