"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { consoleAction } from "@/lib/auth/actions";
import { changeRequestId, decisionBody, organizationSettingsBody } from "@/lib/change-requests/schemas";
import { approveChangeRequest, cancelChangeRequest, rejectChangeRequest, setFourEyes } from "@/lib/change-requests/service";

const DECISIONS = {
  approve: { run: approveChangeRequest, done: "Approved and applied." },
  reject: { run: rejectChangeRequest, done: "Rejected." },
  cancel: { run: cancelChangeRequest, done: "Cancelled." },
} as const;

const decisionSchema = decisionBody.extend({ id: changeRequestId, decision: z.enum(["approve", "reject", "cancel"]) });

/** Approves (and applies), rejects or withdraws a change request, with an optional comment. */
export const decideChangeRequestAction = consoleAction(
  { role: "admin", schema: decisionSchema, audit: ({ id, decision }) => ({ action: `${decision}_change_request`, resource: `change-request:${id}` }) },
  async ({ id, decision, comment }, { actor }) => {
    await DECISIONS[decision].run({ actor, id, comment });
    // The change may touch any page (a policy, the agent policy), and the navigation's count.
    revalidatePath("/", "layout");
    return { success: DECISIONS[decision].done };
  },
);

/** Turns four-eyes on at once; turning it off files a change request while it is on. */
export const setFourEyesAction = consoleAction(
  { role: "admin", schema: organizationSettingsBody, audit: () => ({ action: "update_organization_settings", resource: "organization" }) },
  async ({ fourEyes }, { actor }) => {
    await setFourEyes({ actor, on: fourEyes });
    revalidatePath("/", "layout");
    return { success: fourEyes ? "Four-eyes approval is on." : "Four-eyes approval is off." };
  },
);
