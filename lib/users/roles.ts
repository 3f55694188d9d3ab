/** A user's role in their organization: admins read and write, viewers read. Safe for the browser. */
export const ROLES = ["admin", "viewer"] as const;
export type Role = (typeof ROLES)[number];
