import { z } from "zod";
import { plainText } from "@/lib/validation";
import { CHANGE_REQUEST_STATES } from "./constants";

export const organizationSettingsBody = z.strictObject({ fourEyes: z.boolean("must be true or false") });

/** An approval, a rejection or a withdrawal, with an optional comment. */
export const decisionBody = z.strictObject({ comment: plainText({ max: 500 }).default("") });

export const changeRequestListQuery = z.strictObject({ state: z.enum(CHANGE_REQUEST_STATES).optional() });

/** A request filed explicitly: to disable or delete a policy (`target` is its id), or to turn four-eyes off. */
const reason = plainText({ max: 500 }).default("");
export const fileChangeRequestBody = z.discriminatedUnion("action", [
  z.strictObject({ action: z.enum(["disable_policy", "delete_policy"]), target: z.string().min(1).max(100), reason }),
  z.strictObject({ action: z.literal("disable_four_eyes"), reason }),
]);

export const changeRequestId = z.string().regex(/^cr_[0-9a-f]{16}$/, "must be a change request id");
