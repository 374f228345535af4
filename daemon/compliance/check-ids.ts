/** Every compliance check ocsec runs, by id: the twenty of the reference assessment (kept so its consumers keep working) and ocsec's own. */

export const REFERENCE_CHECK_IDS = [
  'privilege_approval_required',
  'least_privilege_enforced',
  'elevation_timeout_30m',
  'audit_logging_privileged_actions',
  'open_ports_approved',
  'insecure_ports_remediated',
  'channel_allowlist_configured',
  'group_mentions_required',
  'gateway_loopback_only',
  'secrets_permissions_hardened',
  'runtime_privilege_hook_installed',
  'alternate_privilege_paths_restricted',
  'backup_configured',
  'update_hygiene',
  'prompt_injection_controls',
  'command_policy_enforced',
  'session_boundary_enforced',
  'multi_factor_approval',
  'egress_allowlist_configured',
  'egress_connections_approved',
] as const;

export const OCSEC_CHECK_IDS = [
  'audit_trail_integrity',
  'sudo_nopasswd_absent',
  'gateway_path_routes_through_shim',
  'daemon_supervised',
  'policy_files_valid',
  'public_binds_justified',
] as const;

export const CHECK_IDS = [...REFERENCE_CHECK_IDS, ...OCSEC_CHECK_IDS] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export const RISKS = ['low', 'medium', 'high', 'critical'] as const;
export type Risk = (typeof RISKS)[number];

export const RISK_RANK: Record<Risk, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** What a check concluded; `waived` is a violation or partial that an unexpired waiver covers. */
export const STATUSES = ['compliant', 'partial', 'violation', 'not_applicable', 'error', 'waived'] as const;
export type ComplianceStatus = (typeof STATUSES)[number];
