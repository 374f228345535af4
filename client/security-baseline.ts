/** Reads, writes and compares security baselines: the user's own file, checked against the snapshot format before use. */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { baselineSnapshot, type BaselineSnapshot } from './security-report.js';

export class BaselineFileError extends Error {}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

/** Parses and validates a baseline file; the error names the file, the line and column or the field. */
export function readBaselineFile(path: string): BaselineSnapshot {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BaselineFileError(`cannot read the baseline ${path}: ${(err as Error).message}`);
  }
  const errors: ParseError[] = [];
  const data = parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false }) as unknown;
  if (errors.length > 0) throw new BaselineFileError(`${path}:${lineColumn(text, errors[0]!.offset)}: invalid JSON: ${printParseErrorCode(errors[0]!.error)}`);
  const parsed = baselineSnapshot.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BaselineFileError(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message} (not an ocsec security baseline, or from another version)`);
  }
  return parsed.data;
}

/** Writes the snapshot atomically (temp file, fsync, rename) with mode 0600: it describes the installation's weak points. */
export function writeBaselineFile(path: string, snapshot: BaselineSnapshot): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(snapshot, null, 2) + '\n');
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

export type BaselineSection = 'openclaw' | 'outbound' | 'listening' | 'file_access' | 'config' | 'skills' | 'scheduled';

export interface BaselineChange {
  section: BaselineSection;
  kind: 'added' | 'removed' | 'changed';
  subject: string;
  before: string | null;
  after: string | null;
}

export const SECTION_TITLES: Record<BaselineSection, string> = {
  openclaw: 'OpenClaw',
  outbound: 'Outbound rules',
  listening: 'Listening ports',
  file_access: 'File access',
  config: 'Configuration',
  skills: 'Skills',
  scheduled: 'Scheduled tasks',
};

/** Config keys about what files the agent may touch belong with file access. */
const FILE_ACCESS_KEY = /(^|\.)tools\.(fs|fileAccess)\b/;

function show(v: unknown): string {
  return v === undefined ? '(unset)' : JSON.stringify(v);
}

function setDiff(section: BaselineSection, label: string, before: readonly string[], after: readonly string[]): BaselineChange[] {
  const a = new Set(before);
  const b = new Set(after);
  return [
    ...[...b].filter((x) => !a.has(x)).map((x) => ({ section, kind: 'added' as const, subject: `${label}${x}`, before: null, after: x })),
    ...[...a].filter((x) => !b.has(x)).map((x) => ({ section, kind: 'removed' as const, subject: `${label}${x}`, before: x, after: null })),
  ];
}

function keyedDiff<T>(section: BaselineSection, before: readonly T[], after: readonly T[], key: (t: T) => string, describe: (t: T) => string): BaselineChange[] {
  const a = new Map(before.map((t) => [key(t), t]));
  const b = new Map(after.map((t) => [key(t), t]));
  const out: BaselineChange[] = [];
  for (const [k, t] of b) {
    const old = a.get(k);
    if (!old) out.push({ section, kind: 'added', subject: k, before: null, after: describe(t) });
    else if (describe(old) !== describe(t)) out.push({ section, kind: 'changed', subject: k, before: describe(old), after: describe(t) });
  }
  for (const [k, t] of a) if (!b.has(k)) out.push({ section, kind: 'removed', subject: k, before: describe(t), after: null });
  return out;
}

/** What changed from `before` to `after`, section by section, in a stable order. */
export function diffBaselines(before: BaselineSnapshot, after: BaselineSnapshot): BaselineChange[] {
  const changes: BaselineChange[] = [];
  if (before.openclaw_version !== after.openclaw_version) changes.push({ section: 'openclaw', kind: 'changed', subject: 'version', before: before.openclaw_version, after: after.openclaw_version });

  const rule = (r: unknown) => JSON.stringify(r);
  changes.push(...setDiff('outbound', 'egress_allowlist.json ', before.egress_allowlist.rules.map(rule), after.egress_allowlist.rules.map(rule)));
  changes.push(...setDiff('outbound', 'network.outboundAllowlist ', before.egress_allowlist.openclaw_outbound, after.egress_allowlist.openclaw_outbound));

  const sock = (s: { protocol: string; address: string; port: number }) => `${s.protocol} ${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`;
  if (before.listening.available && after.listening.available) changes.push(...setDiff('listening', '', before.listening.sockets.map(sock), after.listening.sockets.map(sock)));

  changes.push(...keyedDiff('file_access', before.file_modes, after.file_modes, (f) => f.path, (f) => `${f.type} ${f.mode} uid ${f.uid}`));

  const keys = [...new Set([...Object.keys(before.config.values), ...Object.keys(after.config.values)])].sort();
  for (const k of keys) {
    const a = before.config.values[k];
    const b = after.config.values[k];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const section = FILE_ACCESS_KEY.test(k) ? 'file_access' : 'config';
    changes.push({ section, kind: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed', subject: k, before: a === undefined ? null : show(a), after: b === undefined ? null : show(b) });
  }
  if (before.config.sha256 !== after.config.sha256) changes.push({ section: 'config', kind: 'changed', subject: `${after.config.path} (sha256)`, before: before.config.sha256, after: after.config.sha256 });
  if (before.config.parse_error !== after.config.parse_error) changes.push({ section: 'config', kind: 'changed', subject: 'parse error', before: before.config.parse_error, after: after.config.parse_error });

  changes.push(...keyedDiff('skills', before.skills, after.skills, (s) => `${s.name} (${s.path})`, (s) => `sha256 ${s.hash}`));

  changes.push(...setDiff('scheduled', 'crontab: ', before.scheduled.crontab.lines, after.scheduled.crontab.lines));
  changes.push(...keyedDiff('scheduled', before.scheduled.systemd_user_timers, after.scheduled.systemd_user_timers, (t) => `systemd timer ${t.file}`, (t) => `${t.schedule} → ${t.exec ?? '?'}`));
  changes.push(...keyedDiff('scheduled', before.scheduled.launch_agents, after.scheduled.launch_agents, (a) => `LaunchAgent ${a.file}`, (a) => `${a.label ?? '?'} ${a.program ?? '?'} sha256 ${a.sha256.slice(0, 16)}`));
  return changes;
}
