/** The daemon's settings file, security/ocsec.json: schema, defaults and a precise error when it is wrong. */
import { z } from 'zod';
import { exportsConfigSchema } from './exports/config.js';
import { formatProblem, loadJsonFile } from './json-file.js';
import { networkConfigSchema } from './network/config.js';
import { complianceConfigSchema } from './compliance/config.js';

const cron = z.string().min(9).max(120);

export const configSchema = z.strictObject({
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** Minutes without elevated activity after which a kept session is dropped (and sudo -K run). */
  idle_timeout_minutes: z.number().int().min(1).max(24 * 60).default(30),
  /** How long an approval request waits for a decision before it expires (fail closed). */
  approval_timeout_seconds: z.number().int().min(5).max(3600).default(120),
  /** Let callers without a terminal wait for `ocsecctl approve` instead of being refused. */
  out_of_band_approval: z.boolean().default(false),
  /** An out-of-band approval must come from a process with a controlling terminal (a person), not a background job. */
  approval_requires_terminal: z.boolean().default(true),
  /** Same meaning as OPENCLAW_REQUIRE_SESSION_ID=1 / OPENCLAW_REQUIRE_POLICY_FILES=1, set for every caller. */
  require_session_id: z.boolean().default(false),
  require_policy_files: z.boolean().default(false),
  /** The real sudo (validated: root-owned, not group/other-writable); default: found on the secure path. */
  real_sudo: z.string().startsWith('/').nullable().default(null),
  /** Hand-off to the fleet's log and metrics pipeline (daemon/exports/config.ts). */
  exports: exportsConfigSchema,
  /** The port and egress monitors (daemon/network/config.ts). */
  network: networkConfigSchema,
  /** Compliance assessments: owners, due dates, backups to verify, the violation notifier (daemon/compliance/config.ts). */
  compliance: complianceConfigSchema,
  schedules: z
    .strictObject({
      /** Recompute the audit chain and compare it with the mirror. */
      audit_verify: cron.default('0 17 * * * *'),
      /** Rewrite the Prometheus textfile (when exports.prometheus_textfile is enabled). */
      prometheus_textfile: cron.default('*/30 * * * * *'),
      /** Audit the OpenClaw installation (every scope, skills included; no npm audit, no changes). Daily at 03:00 UTC. */
      security_audit: cron.default('0 0 3 * * *'),
      /** Sample listening ports against approved_ports.json (every 60 s). */
      ports: cron.default('0 * * * * *'),
      /** Sample outbound connections against egress_allowlist.json (every 30 s). */
      egress: cron.default('*/30 * * * * *'),
      /** Re-resolve the allowlist's host names (every 5 minutes). */
      egress_resolve: cron.default('15 */5 * * * *'),
      /** The ISO 27001 / NIST CSF compliance assessment (hourly, at minute 23). */
      compliance: cron.default('0 23 * * * *'),
    })
    .prefault({}),
});

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A missing file means defaults; an invalid one is an error naming file, line and field (never silently defaulted). */
export function loadConfig(path: string): { config: Config; sha256: string | null; source: 'file' | 'defaults' } {
  const loaded = loadJsonFile(path, configSchema);
  if (loaded.ok) return { config: loaded.value, sha256: loaded.sha256, source: 'file' };
  if ('missing' in loaded) return { config: configSchema.parse({}), sha256: null, source: 'defaults' };
  throw new ConfigError(formatProblem(loaded.problem));
}
