import type { AuditAction } from "@/lib/audit/actions";

/** How each audit action reads in the console; the raw action stays visible beside it for filtering and the API. */
export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  toggle_policy: "Policy toggled",
  create_policy: "Policy created",
  update_policy: "Policy updated",
  delete_policy: "Policy deleted",
  restore_policy: "Policy restored",
  seed_default_policies: "Default policies created",
  export_audit_log: "Audit log exported",
  login: "Signed in",
  login_failed: "Sign-in failed",
  logout: "Signed out",
  change_password: "Password changed",
  mfa_enroll: "MFA enrolled",
  mfa_reset: "MFA reset",
  mfa_recovery_code_used: "Recovery code used",
  passkey_add: "Passkey added",
  passkey_rename: "Passkey renamed",
  passkey_remove: "Passkey removed",
  create_user: "User created",
  update_user_role: "User role changed",
  disable_user: "User disabled",
  enable_user: "User enabled",
  create_api_token: "API token created",
  revoke_api_token: "API token revoked",
  create_policy_version: "Agent policy version created",
  promote_policy_version: "Agent policy rollout promoted",
  abort_policy_version: "Agent policy rollout aborted",
  set_agent_overrides: "Agent overrides set",
  create_enrollment_key: "Enrollment key created",
  revoke_enrollment_key: "Enrollment key revoked",
  enroll_agent: "Agent enrolled",
  revoke_agent: "Agent revoked",
  relabel_agent: "Agent relabelled",
  agent_hostname_changed: "Agent hostname changed",
  update_organization_settings: "Organization settings changed",
  create_change_request: "Change request filed",
  approve_change_request: "Change request approved",
  reject_change_request: "Change request rejected",
  cancel_change_request: "Change request cancelled",
  expire_change_request: "Change request expired",
  apply_change_request: "Change request applied",
};

export function auditActionLabel(action: string): string {
  return (AUDIT_ACTION_LABELS as Record<string, string>)[action] ?? action;
}
