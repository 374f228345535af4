/** The daemon's settings file, security/ocsec.json: schema, defaults and a precise error when it is wrong. */
import { z } from 'zod';
import { formatProblem, loadJsonFile } from './json-file.js';

const cron = z.string().min(9).max(120);

export const configSchema = z.strictObject({
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  schedules: z
    .strictObject({
      /** Recompute the audit chain and compare it with the mirror. */
      audit_verify: cron.default('0 17 * * * *'),
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
