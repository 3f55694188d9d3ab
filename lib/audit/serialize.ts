import type { AuditLog } from "@/db/schema";

/**
 * The wire shape of an audit entry: the document's fields, then ip, user_agent, where something changed
 * before/after, and the entry's place in its organization's hash chain (null for a row written outside it).
 */
export function toAuditLogJson(entry: AuditLog) {
  return {
    id: `log-${entry.seq}`,
    user_id: entry.userId,
    user_email: entry.userEmail,
    action: entry.action,
    resource: entry.resource,
    details: entry.details,
    timestamp: entry.createdAt.toISOString(),
    success: entry.success,
    ip: entry.ip,
    user_agent: entry.userAgent,
    ...(entry.before === null ? {} : { before: entry.before }),
    ...(entry.after === null ? {} : { after: entry.after }),
    chain_position: entry.chainPosition,
    hash: entry.hash,
  };
}
