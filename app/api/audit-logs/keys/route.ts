import { userRoute } from "@/lib/api/route";
import { auditPublicKeys } from "@/lib/audit/checkpoints";

/** The public keys that verify audit checkpoints, current and rotated out, oldest first. */
export const GET = userRoute({ family: "detail", role: "viewer" }, async () => Response.json(await auditPublicKeys()));
