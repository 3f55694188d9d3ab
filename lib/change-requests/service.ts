import "server-only";
import { getPolicyVersion, highestPolicyVersion } from "@/db/queries/agent-policies";
import { cancelPendingRequestsOf, expireOverdueChangeRequests, getChangeRequest, listChangeRequests, transitionChangeRequest } from "@/db/queries/change-requests";
import { isFourEyesOn, setFourEyesColumn } from "@/db/queries/organizations";
import { latestPolicyRevision } from "@/db/queries/policy-revisions";
import { getDb, type Executor } from "@/db";
import type { ChangeRequest } from "@/db/schema";
import { recordAudit, recordFailure, type Actor } from "@/lib/audit/log";
import { applyEndRollout, applyPublish, type NewPolicyVersion } from "@/lib/agent-policy/service";
import { ApiError } from "@/lib/errors";
import { getPolicy } from "@/db/queries/policies";
import { applyDelete, applyToggle, filePolicyChangeRequest } from "@/lib/policies/service";
import type { ChangeRequestState } from "./constants";
import { ApprovalRequired, describeChange, fileChangeRequest, fourEyesHolds } from "./gate";

const resourceOf = (request: Pick<ChangeRequest, "id">) => `change-request:${request.id}`;

/** Pending requests past their 72 hours become expired, each audited. Run before any decision, and by maintenance. */
async function expireOverdue(orgId: string | undefined, tx: Executor): Promise<void> {
  for (const request of await expireOverdueChangeRequests({ orgId }, tx)) {
    const actor: Actor = { orgId: request.orgId, userId: null, email: null };
    await recordAudit(actor, { action: "expire_change_request", resource: resourceOf(request), details: `Expired without a decision: ${describeChange(request)}`, success: true }, tx);
  }
}

/** The organization's requests, newest first, those past their 72 hours expired first (so none reads as pending). */
export async function currentChangeRequests({ orgId, state, limit }: { orgId: string; state?: ChangeRequestState; limit?: number }): Promise<ChangeRequest[]> {
  await getDb().transaction((tx) => expireOverdue(orgId, tx));
  return listChangeRequests({ orgId, state, limit });
}

/** Maintenance: expires every organization's overdue requests. */
export function expireOverdueRequests(): Promise<void> {
  return getDb().transaction((tx) => expireOverdue(undefined, tx));
}

/** Whether what the request was filed against has changed since: then applying it could undo someone's later change. */
async function isStale(request: ChangeRequest, tx: Executor): Promise<boolean> {
  if (request.action === "disable_policy" || request.action === "delete_policy") {
    return (await latestPolicyRevision({ orgId: request.orgId, policyId: request.target }, tx)) !== request.base;
  }
  if (request.action === "publish_agent_policy") return (await highestPolicyVersion({ orgId: request.orgId }, tx)) !== request.base;
  if (request.action === "promote_agent_policy" || request.action === "abort_agent_policy") {
    return (await getPolicyVersion({ orgId: request.orgId, version: request.base ?? 0 }, tx))?.stage !== "canary";
  }
  return !(await isFourEyesOn({ orgId: request.orgId }, tx));
}

/** Performs the held change exactly as the direct call would: the same rows, audit and agent event. */
async function perform(actor: Actor, request: ChangeRequest, tx: Executor): Promise<void> {
  switch (request.action) {
    case "disable_policy":
      await applyToggle(actor, request.target, false, tx);
      return;
    case "delete_policy":
      await applyDelete(actor, request.target, tx);
      return;
    case "publish_agent_policy":
      await applyPublish(actor, request.payload as unknown as NewPolicyVersion, tx);
      return;
    case "promote_agent_policy":
    case "abort_agent_policy":
      await applyEndRollout(actor, request.base ?? 0, request.action === "promote_agent_policy" ? "promoted" : "aborted", tx);
      return;
    case "disable_four_eyes":
      await writeFourEyes(actor, false, tx);
  }
}

async function decidable(actor: Actor, id: string, tx: Executor): Promise<ChangeRequest> {
  const request = await getChangeRequest({ orgId: actor.orgId, id, lock: true }, tx);
  if (!request) throw ApiError.notFound("Change request not found");
  if (request.state !== "pending") throw ApiError.conflict(`This change request is ${request.state}, not pending`);
  return request;
}

type Outcome = { request: ChangeRequest } | { stale: ChangeRequest };
type Decision = "approve_change_request" | "reject_change_request" | "cancel_change_request";

/**
 * Runs a decision, once the organization's overdue requests have expired (in a transaction of their own, so that a
 * refused decision does not undo an expiry); a refused one (not found, not pending, one's own, stale) is audited
 * like any refused write.
 */
async function audited(actor: Actor, id: string, action: Decision, run: () => Promise<ChangeRequest>): Promise<ChangeRequest> {
  await getDb().transaction((tx) => expireOverdue(actor.orgId, tx));
  try {
    return await run();
  } catch (error) {
    if (error instanceof ApiError) await recordFailure(actor, { action, resource: resourceOf({ id }), details: `Refused: ${error.message}` });
    throw error;
  }
}

/**
 * A second admin approves a pending request, and it is applied at once: pending → approved → applied in one
 * transaction, each step with its audit row, the change itself between them. Two approvals at once apply it once
 * (the request's row is locked, and only a pending one moves). The requester cannot approve their own. A request
 * whose policy or active version changed since it was filed is stale: it is cancelled, and must be filed again.
 */
export function approveChangeRequest({ actor, id, comment }: { actor: Actor; id: string; comment: string }): Promise<ChangeRequest> {
  return audited(actor, id, "approve_change_request", async () => {
    const outcome = await getDb().transaction(async (tx): Promise<Outcome> => {
      const request = await decidable(actor, id, tx);
      if (request.requestedBy === actor.userId) throw ApiError.forbidden("You cannot approve your own change request: another admin must");
      const decision = { userId: actor.userId, email: actor.email, comment };
      if (await isStale(request, tx)) {
        const cancelled = (await transitionChangeRequest({ orgId: actor.orgId, id, from: "pending", to: "cancelled", decision: { ...decision, comment: "Stale: its target changed since it was filed" } }, tx))!;
        await recordAudit(actor, { action: "cancel_change_request", resource: resourceOf(request), details: `Cancelled as stale on approval: ${describeChange(request)}; file it again`, success: true }, tx);
        return { stale: cancelled };
      }
      await transitionChangeRequest({ orgId: actor.orgId, id, from: "pending", to: "approved", decision }, tx);
      await recordAudit(actor, { action: "approve_change_request", resource: resourceOf(request), details: `Approved: ${describeChange(request)}${comment ? ` (${comment})` : ""}`, success: true }, tx);
      await perform(actor, request, tx);
      const applied = (await transitionChangeRequest({ orgId: actor.orgId, id, from: "approved", to: "applied" }, tx))!;
      await recordAudit(actor, { action: "apply_change_request", resource: resourceOf(request), details: `Applied: ${describeChange(request)}, requested by ${request.requestedByEmail}`, success: true }, tx);
      return { request: applied };
    });
    if ("stale" in outcome) throw ApiError.conflict("The target changed since this request was filed, so it was cancelled: file it again if it is still wanted");
    return outcome.request;
  });
}

/** Another admin rejects a pending request, with a comment. */
export function rejectChangeRequest({ actor, id, comment }: { actor: Actor; id: string; comment: string }): Promise<ChangeRequest> {
  return audited(actor, id, "reject_change_request", () => getDb().transaction(async (tx) => {
    const request = await decidable(actor, id, tx);
    const rejected = (await transitionChangeRequest({ orgId: actor.orgId, id, from: "pending", to: "rejected", decision: { userId: actor.userId, email: actor.email, comment } }, tx))!;
    await recordAudit(actor, { action: "reject_change_request", resource: resourceOf(request), details: `Rejected: ${describeChange(request)}${comment ? ` (${comment})` : ""}`, success: true }, tx);
    return rejected;
  }));
}

/** The requester, or any admin, withdraws a pending request. */
export function cancelChangeRequest({ actor, id, comment }: { actor: Actor; id: string; comment: string }): Promise<ChangeRequest> {
  return audited(actor, id, "cancel_change_request", () => getDb().transaction(async (tx) => {
    const request = await decidable(actor, id, tx);
    const cancelled = (await transitionChangeRequest({ orgId: actor.orgId, id, from: "pending", to: "cancelled", decision: { userId: actor.userId, email: actor.email, comment } }, tx))!;
    await recordAudit(actor, { action: "cancel_change_request", resource: resourceOf(request), details: `Cancelled: ${describeChange(request)}`, success: true }, tx);
    return cancelled;
  }));
}

/** A disabled user's pending requests are cancelled with the change that disables them, each audited. */
export async function cancelRequestsOfDisabledUser(actor: Actor, userId: string, tx: Executor): Promise<void> {
  for (const request of await cancelPendingRequestsOf({ orgId: actor.orgId, userId }, tx)) {
    await recordAudit(actor, { action: "cancel_change_request", resource: resourceOf(request), details: `Cancelled: its author ${request.requestedByEmail} was disabled`, success: true }, tx);
  }
}

async function writeFourEyes(actor: Actor, on: boolean, tx: Executor): Promise<void> {
  await setFourEyesColumn({ orgId: actor.orgId, on }, tx);
  await recordAudit(actor, { action: "update_organization_settings", resource: "organization", details: `Four-eyes approval turned ${on ? "on" : "off"}`, success: true, before: { fourEyes: !on }, after: { fourEyes: on } }, tx);
}

/**
 * Turns four-eyes on or off. Turning it off while it is on needs a second admin, like the changes it guards
 * (ApprovalRequired). Setting the state it already has changes nothing.
 */
export async function setFourEyes({ actor, on }: { actor: Actor; on: boolean }): Promise<{ fourEyes: boolean }> {
  const held = await getDb().transaction(async (tx) => {
    const current = await isFourEyesOn({ orgId: actor.orgId, lock: true }, tx);
    if (current === on) return null;
    if (!on && (await fourEyesHolds(actor, tx))) {
      return fileChangeRequest(actor, { action: "disable_four_eyes", target: "organization", payload: {}, base: null, preview: { before: { fourEyes: true }, after: { fourEyes: false } } }, tx);
    }
    await writeFourEyes(actor, on, tx);
    return null;
  });
  if (held) throw new ApprovalRequired(held);
  return { fourEyes: on };
}

/**
 * Files a request explicitly (`POST /api/change-requests`), whether or not four-eyes would hold the change: to
 * disable or delete a policy, or to turn four-eyes off.
 */
export async function fileChangeRequestFor({ actor, action, target, reason }: { actor: Actor; action: "disable_policy" | "delete_policy" | "disable_four_eyes"; target?: string; reason: string }): Promise<ChangeRequest> {
  return getDb().transaction(async (tx) => {
    if (action === "disable_four_eyes") {
      if (!(await isFourEyesOn({ orgId: actor.orgId, lock: true }, tx))) throw ApiError.conflict("Four-eyes approval is already off");
      return fileChangeRequest(actor, { action, target: "organization", payload: {}, base: null, preview: { before: { fourEyes: true }, after: { fourEyes: false } }, reason }, tx);
    }
    const policy = target ? await getPolicy({ orgId: actor.orgId, id: target, lock: true }, tx) : null;
    if (!policy) throw ApiError.notFound("Policy not found");
    if (action === "disable_policy" && !policy.enabled) throw ApiError.conflict("The policy is already disabled");
    return filePolicyChangeRequest(actor, action, policy, tx, reason);
  });
}
