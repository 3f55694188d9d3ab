import "server-only";
import { insertChangeRequest } from "@/db/queries/change-requests";
import { isFourEyesOn } from "@/db/queries/organizations";
import type { Executor } from "@/db";
import type { ChangeRequest } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/log";
import { randomHex } from "@/lib/ids";
import { CHANGE_REQUEST_LIFETIME_HOURS, type ChangeRequestAction } from "./constants";
import { describeChangeRequest } from "./describe";

/** A change four-eyes held: the request filed instead, for the caller to answer 202 with. */
export class ApprovalRequired extends Error {
  constructor(readonly request: ChangeRequest) {
    super("Approval required");
  }
}

/**
 * Whether four-eyes holds a change from this actor: the organization has it on, and the change came through the
 * console or the API. The operator's CLI (which holds the database anyway) and the application of an approved
 * request are not held.
 */
export async function fourEyesHolds(actor: Actor, tx: Executor): Promise<boolean> {
  return actor.channel !== undefined && (await isFourEyesOn({ orgId: actor.orgId }, tx));
}

export interface HeldChange {
  action: ChangeRequestAction;
  target: string;
  payload: Record<string, unknown>;
  /** What the request is filed against, to tell a stale one: the policy's revision, or the active agent policy version. */
  base: number | null;
  preview: { before: unknown; after: unknown };
  /** Why, in the requester's words. */
  reason?: string;
}

/** What a request would do, to follow "Requested approval to …". */
export const describeChange = (request: Pick<ChangeRequest, "action" | "target">) => {
  const title = describeChangeRequest(request);
  return title.charAt(0).toLowerCase() + title.slice(1);
};

/** Files a change request in the caller's transaction, audited as `create_change_request`. */
export async function fileChangeRequest(actor: Actor, change: HeldChange, tx: Executor): Promise<ChangeRequest> {
  const request = await insertChangeRequest(
    {
      id: `cr_${randomHex(8)}`,
      orgId: actor.orgId,
      ...change,
      requestedBy: actor.userId ?? "",
      requestedByEmail: actor.email ?? "",
      expiresAt: new Date(Date.now() + CHANGE_REQUEST_LIFETIME_HOURS * 3_600_000),
    },
    tx,
  );
  await recordAudit(actor, { action: "create_change_request", resource: `change-request:${request.id}`, details: `Requested approval to ${describeChange(request)}`, success: true, after: change.preview.after }, tx);
  return request;
}
