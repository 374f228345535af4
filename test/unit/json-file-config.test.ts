// Covers daemon/json-file.ts and daemon/config.ts: invalid JSON and schema errors point at file, line, column and field; config defaults and refusals.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, configSchema, loadConfig } from '../../daemon/config.js';
import { fieldPath, formatProblem, loadJsonFile, parseJsonText } from '../../daemon/json-file.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-config-');
afterEach(() => dirs.cleanup());

const FILE = '/etc/ocsec/test.json';
const PRIVILEGE_DEFAULTS = {
  idle_timeout_minutes: 30,
  approval_timeout_seconds: 120,
  out_of_band_approval: false,
  approval_requires_terminal: true,
  require_session_id: false,
  require_policy_files: false,
  real_sudo: null,
};
const EXPORTS_DEFAULTS = {
  jsonl: { enabled: false, path: null, max_bytes: 50 * 1024 * 1024, max_files: 5, file_mode: 0o640 },
  syslog: { enabled: false, socket: null, facility: 'authpriv', app_name: 'ocsecd', max_message_bytes: 8192 },
  prometheus_textfile: { enabled: false, path: null, file_mode: 0o644 },
};
const TEXTFILE_SCHEDULE = '*/30 * * * * *';
const SECURITY_AUDIT_SCHEDULE = '0 0 3 * * *';
const NETWORK_DEFAULTS = { sampler: 'auto', full_scan_every: 10, dns_ttl_seconds: 300, reverse_lookup: true, start_delay_seconds: 30 };
const NETWORK_SCHEDULES = { ports: '0 * * * * *', egress: '*/30 * * * * *', egress_resolve: '15 */5 * * * *' };
const COMPLIANCE_SCHEDULE = '0 23 * * * *';
const COMPLIANCE_DEFAULTS = {
  system: 'OpenClaw',
  owners: {},
  owners_by_risk: {},
  due_days: { critical: 3, high: 7, medium: 14, low: 30 },
  due_days_by_check: {},
  history_runs: 2160,
  backup: { paths: [], max_age_hours: 48 },
  notify: { command: null, allowlist: [], format: 'text', on_partial: true, network: true },
};

function problemOf(text: string, schema: z.ZodType = configSchema) {
  const r = parseJsonText(FILE, text, schema);
  if (r.ok) throw new Error(`expected a problem, got ${JSON.stringify(r.value)}`);
  return r.problem;
}

describe('parseJsonText: invalid JSON', () => {
  it.each<[string, string, { line: number; column: number; message: RegExp }]>([
    ['missing value on line 3', '{\n  "log_level": "info",\n  "schedules": ,\n}', { line: 3, column: 16, message: /ValueExpected/ }],
    ['unquoted key on line 3', '{\n  "log_level": "info",\n  schedules: {}\n}', { line: 3, column: 3, message: /invalid JSON/ }],
    ['missing comma between members on line 3', '{\n  "log_level": "info"\n  "schedules": {}\n}', { line: 3, column: 3, message: /CommaExpected/ }],
    ['line comment', '// settings\n{}', { line: 1, column: 1, message: /InvalidCommentToken/ }],
    ['block comment after a value', '{\n  "log_level": "info" /* why */\n}', { line: 2, column: 23, message: /InvalidCommentToken/ }],
    ['trailing comma in an object', '{\n  "log_level": "info",\n}', { line: 3, column: 1, message: /PropertyNameExpected/ }],
    ['trailing comma in an array', '[1, 2,]', { line: 1, column: 7, message: /ValueExpected/ }],
    ['empty file', '', { line: 1, column: 1, message: /^invalid JSON: the file is empty$/ }],
    ['whitespace only', '  \n\n', { line: 1, column: 1, message: /^invalid JSON: the file is empty$/ }],
    ['unterminated string', '{\n "log_level": "info\n}', { line: 2, column: 15, message: /invalid JSON/ }],
  ])('%s', (_name, text, expected) => {
    const p = problemOf(text);
    expect(p.file).toBe(FILE);
    expect(p.field).toBe('(root)');
    expect({ line: p.line, column: p.column }).toEqual({ line: expected.line, column: expected.column });
    expect(p.message).toMatch(expected.message);
  });

  it('returns the sha256 of the text even when it is invalid', () => {
    const r = parseJsonText(FILE, '{', configSchema);
    expect(r.sha256).toBe('021fb596db81e6d02bf3d2586ee3981fe519f275c0ac9ca76bbcf2ebb4097d96');
  });
});

describe('parseJsonText: schema errors', () => {
  it('names the field path and the line of its key', () => {
    const text = '{\n  "log_level": "info",\n  "schedules": {\n    "audit_verify": 5\n  }\n}';
    const p = problemOf(text);
    expect(p.field).toBe('schedules.audit_verify');
    expect(p.line).toBe(4);
    expect(p.column).toBe(5);
    expect(p.message).toMatch(/expected string/);
    expect(formatProblem(p)).toBe(`${FILE}:4:5: schedules.audit_verify: ${p.message}`);
  });

  it('points at the parent object when a required key is missing', () => {
    const schema = z.object({ outer: z.object({ needed: z.string() }) });
    const p = problemOf('{\n  "outer": {\n    "other": 1\n  }\n}', schema);
    expect(p.field).toBe('outer.needed');
    expect(p.line).toBe(2);
  });

  it('uses [i] for array indices in the field path and finds the element line', () => {
    const schema = z.object({ ports: z.array(z.number()) });
    const p = problemOf('{\n  "ports": [\n    22,\n    "http"\n  ]\n}', schema);
    expect(p.field).toBe('ports[1]');
    expect(p.line).toBe(4);
  });

  it('a root that is not an object is reported at (root)', () => {
    expect(problemOf('[]')).toMatchObject({ field: '(root)', line: 1, column: 1 });
  });

  it.each<[ReadonlyArray<PropertyKey>, string]>([
    [[], '(root)'],
    [['a'], 'a'],
    [['a', 'b'], 'a.b'],
    [['a', 0, 'b'], 'a[0].b'],
    [[0], '[0]'],
  ])('fieldPath(%j) = %s', (p, expected) => {
    expect(fieldPath(p)).toBe(expected);
  });

  it('accepts a valid document and returns the parsed value with defaults', () => {
    const r = parseJsonText(FILE, '{"log_level":"debug"}', configSchema);
    expect(r).toMatchObject({ ok: true, value: { log_level: 'debug', schedules: { audit_verify: '0 17 * * * *' } } });
  });
});

describe('loadJsonFile / loadConfig', () => {
  function writeConfig(text: string): string {
    const file = path.join(dirs.make(), 'ocsec.json');
    fs.writeFileSync(file, text);
    return file;
  }

  it('a missing file gives the defaults', () => {
    const result = loadConfig(path.join(dirs.make(), 'absent.json'));
    expect(result).toEqual({ config: { log_level: 'info', ...PRIVILEGE_DEFAULTS, exports: EXPORTS_DEFAULTS, network: NETWORK_DEFAULTS, compliance: COMPLIANCE_DEFAULTS, schedules: { ...NETWORK_SCHEDULES, audit_verify: '0 17 * * * *', prometheus_textfile: TEXTFILE_SCHEDULE, security_audit: SECURITY_AUDIT_SCHEDULE, compliance: COMPLIANCE_SCHEDULE } }, sha256: null, source: 'defaults' });
  });

  it('loadJsonFile reports a missing file as missing, not as a problem', () => {
    expect(loadJsonFile(path.join(dirs.make(), 'absent.json'), configSchema)).toEqual({ ok: false, missing: true });
  });

  it('an empty object gives the defaults from the file', () => {
    const result = loadConfig(writeConfig('{}'));
    expect(result.source).toBe('file');
    expect(result.config).toEqual({ log_level: 'info', ...PRIVILEGE_DEFAULTS, exports: EXPORTS_DEFAULTS, network: NETWORK_DEFAULTS, compliance: COMPLIANCE_DEFAULTS, schedules: { ...NETWORK_SCHEDULES, audit_verify: '0 17 * * * *', prometheus_textfile: TEXTFILE_SCHEDULE, security_audit: SECURITY_AUDIT_SCHEDULE, compliance: COMPLIANCE_SCHEDULE } });
    expect(result.sha256).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it('reads explicit settings', () => {
    const result = loadConfig(writeConfig('{"log_level":"warn","idle_timeout_minutes":15,"out_of_band_approval":true,"schedules":{"audit_verify":"*/30 * * * * *"}}'));
    expect(result.config).toEqual({ log_level: 'warn', ...PRIVILEGE_DEFAULTS, idle_timeout_minutes: 15, out_of_band_approval: true, exports: EXPORTS_DEFAULTS, network: NETWORK_DEFAULTS, compliance: COMPLIANCE_DEFAULTS, schedules: { ...NETWORK_SCHEDULES, audit_verify: '*/30 * * * * *', prometheus_textfile: TEXTFILE_SCHEDULE, security_audit: SECURITY_AUDIT_SCHEDULE, compliance: COMPLIANCE_SCHEDULE } });
  });

  it.each<[string, string, RegExp]>([
    ['unknown top-level key', '{\n  "log_level": "info",\n  "colour": "blue"\n}', /:3:3: colour: Unrecognized key: "colour"/],
    ['unknown key under schedules', '{\n  "schedules": {\n    "audit_verfy": "0 0 * * * *"\n  }\n}', /:3:5: schedules\.audit_verfy: Unrecognized key: "audit_verfy"/],
    ['wrong log_level', '{\n  "log_level": "verbose"\n}', /:2:3: log_level: Invalid option/],
    ['schedule too short', '{\n  "schedules": {\n    "audit_verify": "* *"\n  }\n}', /:3:5: schedules\.audit_verify: /],
    ['invalid JSON', '{\n  "log_level": "info",,\n}', /:2:23: \(root\): invalid JSON/],
    ['idle timeout above a day', '{\n  "idle_timeout_minutes": 100000\n}', /:2:3: idle_timeout_minutes: Too big/],
    ['real_sudo not absolute', '{\n  "real_sudo": "sudo"\n}', /:2:3: real_sudo: /],
    ['jsonl export enabled without a path', '{\n  "exports": {\n    "jsonl": {\n      "enabled": true\n    }\n  }\n}', /:3:5: exports\.jsonl\.path: exports\.jsonl is enabled but has no path/],
    ['relative jsonl export path', '{\n  "exports": {\n    "jsonl": { "enabled": true, "path": "events.jsonl" }\n  }\n}', /:3:33: exports\.jsonl\.path: must be an absolute path/],
    ['world-writable export mode', '{\n  "exports": {\n    "jsonl": { "path": "/var/log/ocsec/e.jsonl", "file_mode": "0666" }\n  }\n}', /exports\.jsonl\.file_mode: must not be executable or writable by others/],
    ['world-readable jsonl export mode', '{\n  "exports": {\n    "jsonl": { "path": "/var/log/ocsec/e.jsonl", "file_mode": "0644" }\n  }\n}', /:3:\d+: exports\.jsonl\.file_mode: must give other users no access \(the events carry argv, cwd and reasons\); use 0640/],
    ['textfile not ending in .prom', '{\n  "exports": {\n    "prometheus_textfile": { "enabled": true, "path": "/var/lib/node_exporter/ocsec.txt" }\n  }\n}', /exports\.prometheus_textfile\.path: node_exporter reads only \*\.prom files/],
    ['unknown syslog facility', '{\n  "exports": {\n    "syslog": { "facility": "security" }\n  }\n}', /:3:17: exports\.syslog\.facility: Invalid option/],
    ['unknown export key', '{\n  "exports": {\n    "kafka": {}\n  }\n}', /:3:5: exports\.kafka: Unrecognized key/],
    ['unknown network sampler', '{\n  "network": {\n    "sampler": "netlink"\n  }\n}', /:3:5: network\.sampler: Invalid option/],
    ['a DNS TTL below 10 s', '{\n  "network": { "dns_ttl_seconds": 1 }\n}', /:2:16: network\.dns_ttl_seconds: Too small: expected number to be >=10/],
    ['a bad ports schedule', '{\n  "schedules": {\n    "ports": 60\n  }\n}', /:3:5: schedules\.ports: Invalid input: expected string/],
    ['an owner for an unknown check', '{\n  "compliance": {\n    "owners": { "made_up": "Alice" }\n  }\n}', /:3:17: compliance\.owners\.made_up: Unrecognized key: "made_up"/],
    ['a relative backup path', '{\n  "compliance": { "backup": { "paths": ["backups"] } }\n}', /compliance\.backup\.paths\[0\]: must be an absolute path/],
    ['a notifier that is not an argv', '{\n  "compliance": { "notify": { "command": "/usr/bin/notify-send" } }\n}', /compliance\.notify\.command: Invalid input: expected array/],
  ])('%s → ConfigError with file:line', (_name, text, message) => {
    const file = writeConfig(text);
    let thrown: unknown;
    try {
      loadConfig(file);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).name).toBe('ConfigError');
    expect((thrown as ConfigError).message.startsWith(`${file}:`)).toBe(true);
    expect((thrown as ConfigError).message).toMatch(message);
  });
});
