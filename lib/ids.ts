import { randomBytes } from "node:crypto";

/** A random lowercase hex string of `bytes` bytes. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

export const newOrganizationId = () => `org_${randomHex(8)}`;
export const newUserId = () => `user-${randomHex(8)}`;
export const newApiTokenId = () => `tok_${randomHex(8)}`;
export const newEnrollmentKeyId = () => `ek_${randomHex(8)}`;
export const newAuditDestinationId = () => `dst_${randomHex(8)}`;
export const newAgentId = () => `agent-${randomHex(4)}`;
export const newAgentPolicyId = () => `pol_${randomHex(6)}`;
