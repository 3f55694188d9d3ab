/** An outbox row's state: waiting to be sent (or retried), sent, or given up on (shown in the dead-letter view). */
export const AUDIT_DELIVERY_STATES = ["pending", "delivered", "dead"] as const;
export type AuditDeliveryState = (typeof AUDIT_DELIVERY_STATES)[number];
