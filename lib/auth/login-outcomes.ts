/** How a counted sign-in attempt ended; "pending" and "failed" count against the throttle (lib/auth/throttle.ts). */
export const LOGIN_OUTCOMES = ["pending", "failed", "succeeded", "forgiven"] as const;
export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];
