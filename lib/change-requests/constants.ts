/** What four-eyes holds for a second admin. Safe for the browser. */
export const CHANGE_REQUEST_ACTIONS = ["disable_policy", "delete_policy", "publish_agent_policy", "promote_agent_policy", "abort_agent_policy", "disable_four_eyes"] as const;
export type ChangeRequestAction = (typeof CHANGE_REQUEST_ACTIONS)[number];

/** pending → approved → applied, or rejected, cancelled (by its author, a stale base, or its author disabled) or expired. */
export const CHANGE_REQUEST_STATES = ["pending", "approved", "applied", "rejected", "cancelled", "expired"] as const;
export type ChangeRequestState = (typeof CHANGE_REQUEST_STATES)[number];

/** How long a request waits for a decision. */
export const CHANGE_REQUEST_LIFETIME_HOURS = 72;
