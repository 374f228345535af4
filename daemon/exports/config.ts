/** The `exports` section of ocsec.json: where audit events and metrics go for the fleet's own pipeline. */
import { z } from 'zod';

const absolutePath = z.string().min(2).max(1024).startsWith('/', 'must be an absolute path').refine((p) => !p.includes('\0'), 'must not contain NUL');
/** A file mode as an octal string ("0640"); nothing executable, nothing writable by others. */
const fileMode = z
  .string()
  .regex(/^0?[0-7]{3}$/, 'an octal mode such as "0640"')
  .refine((m) => (parseInt(m, 8) & 0o113) === 0, 'must not be executable or writable by others')
  .transform((m) => parseInt(m, 8));

export const SYSLOG_FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;

function requirePathWhenEnabled(what: string) {
  return (v: { enabled: boolean; path: string | null }, ctx: z.RefinementCtx) => {
    if (v.enabled && v.path === null) ctx.addIssue({ code: 'custom', path: ['path'], message: `${what} is enabled but has no path` });
  };
}

export const exportsConfigSchema = z
  .strictObject({
    /** Audit events as ECS JSON lines in a size-rotated file (Vector, Fluent Bit, Filebeat, the OTel Collector tail it). */
    jsonl: z
      .strictObject({
        enabled: z.boolean().default(false),
        path: absolutePath.nullable().default(null),
        max_bytes: z.number().int().min(64 * 1024).max(1024 * 1024 * 1024).default(50 * 1024 * 1024),
        max_files: z.number().int().min(1).max(100).default(5),
        /** Readable by the collector's group at most: the events carry argv, cwd and reasons. */
        file_mode: fileMode.refine((m) => (m & 0o007) === 0, 'must give other users no access (the events carry argv, cwd and reasons); use 0640 for the collector\'s group or 0600').default(0o640),
      })
      .superRefine(requirePathWhenEnabled('exports.jsonl'))
      .prefault({}),
    /** RFC 5424 datagrams to the local syslog socket. */
    syslog: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Default /dev/log on Linux, /var/run/syslog on macOS. */
        socket: absolutePath.nullable().default(null),
        facility: z.enum(Object.keys(SYSLOG_FACILITIES) as [keyof typeof SYSLOG_FACILITIES, ...Array<keyof typeof SYSLOG_FACILITIES>]).default('authpriv'),
        app_name: z.string().regex(/^[!-~]{1,48}$/, '1-48 printable ASCII characters, no spaces').default('ocsecd'),
        /** Longer messages are sent without the event's data (the JSONL export and the audit trail keep it); 2048 is what RFC 5424 receivers should accept. */
        max_message_bytes: z.number().int().min(2048).max(65_536).default(8192),
      })
      .prefault({}),
    /** Metrics for node_exporter's textfile collector, replaced atomically on a schedule (schedules.prometheus_textfile). */
    prometheus_textfile: z
      .strictObject({
        enabled: z.boolean().default(false),
        path: absolutePath.endsWith('.prom', 'node_exporter reads only *.prom files').nullable().default(null),
        file_mode: fileMode.default(0o644),
      })
      .superRefine(requirePathWhenEnabled('exports.prometheus_textfile'))
      .prefault({}),
  })
  .prefault({});

export type ExportsConfig = z.output<typeof exportsConfigSchema>;
