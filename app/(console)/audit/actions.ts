"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { signAuditCheckpoint } from "@/lib/audit/checkpoints";
import { auditChainStatus, forgetAuditChainStatus } from "@/lib/audit/chain-status";
import { consoleAction } from "@/lib/auth/actions";

/** Signs the organization's chain head now, as POST /api/audit-logs/checkpoints does. */
export const signCheckpointAction = consoleAction(
  { role: "admin", schema: z.object({}), audit: () => ({ action: "sign_audit_checkpoint", resource: "audit-chain" }) },
  async (_input, { actor }) => {
    const checkpoint = await signAuditCheckpoint({ actor });
    forgetAuditChainStatus(actor.orgId);
    revalidatePath("/audit");
    return { success: `Signed a checkpoint at position ${checkpoint!.position}` };
  },
);

/** Verifies every row of the chain now, rather than waiting for the page's next full pass. Reads only. */
export const verifyChainAction = consoleAction({ role: "admin", schema: z.object({}) }, async (_input, { actor }) => {
  const { result } = await auditChainStatus(actor.orgId, { full: true });
  revalidatePath("/audit");
  return result.ok ? { success: `Verified ${result.position} entries` } : { error: `Chain broken at position ${result.problem!.position}: ${result.problem!.kind}` };
});
