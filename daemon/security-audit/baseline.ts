/** Builds the security baseline snapshot: a stable, diffable record of what a later audit compares against. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { BaselineSnapshot } from '../../client/security-report.js';
import { canonicalJson } from '../audit/canonical-json.js';
import type { CrontabState, LaunchAgent, ListenerSample, UserTimer } from './host.js';
import type { Installation } from './installation.js';
import { octal, type PermObservation } from './permissions.js';
import { fingerprintSecret, isSecretKeyName, isSecretReference, maskSecret, vendorSecretsIn } from './secrets.js';
import { AGENT_SETTINGS, readAgentSetting, readSetting, SETTINGS, valueAt, type SettingName } from './settings.js';

/** Settings whose whole subtree is too broad for the snapshot; their security-relevant parts are taken below. */
const BROAD: ReadonlySet<SettingName> = new Set(['agentsList', 'agentsEntries', 'channels']);
const CHANNEL_KEYS = ['dmPolicy', 'groupPolicy', 'allowFrom', 'groupAllowFrom', 'enabled'];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Secrets become `prefix…(N chars) fp:HEX`: enough to see that one changed, nothing to recover it from. */
function maskedValue(value: unknown, key: string, fpKey: Buffer): unknown {
  if (typeof value === 'string') {
    const isSecret = (isSecretKeyName(key) && value.length > 0 && !isSecretReference(value)) || vendorSecretsIn(value).length > 0;
    return isSecret ? `${maskSecret(value)} fp:${fingerprintSecret(value, fpKey)}` : value;
  }
  if (Array.isArray(value)) return value.map((v) => maskedValue(v, key, fpKey));
  return value;
}

/** Leaf values below `path`, so a diff names the exact key that changed. */
function flatten(value: unknown, path: string, out: Map<string, unknown>, fpKey: Buffer): void {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flatten(v, `${path}.${k}`, out, fpKey);
    return;
  }
  out.set(path, maskedValue(value, path.split('.').pop() ?? '', fpKey));
}

export function securityValues(config: Record<string, unknown> | null, inst: Installation, fpKey: Buffer): Record<string, unknown> {
  const out = new Map<string, unknown>();
  if (config) {
    for (const name of Object.keys(SETTINGS) as SettingName[]) {
      if (BROAD.has(name)) continue;
      for (const path of SETTINGS[name]) {
        const value = valueAt(config, path);
        if (value !== undefined) flatten(value, path, out, fpKey);
      }
    }
    for (const agent of inst.agents) {
      for (const name of Object.keys(AGENT_SETTINGS) as Array<keyof typeof AGENT_SETTINGS>) {
        if (name === 'id') continue;
        const s = readAgentSetting(agent.value, name);
        if (s.present) flatten(s.value, `${agent.source}.${s.path}`, out, fpKey);
      }
    }
    const channels = readSetting(config, 'channels');
    if (isObject(channels.value)) {
      for (const [name, ch] of Object.entries(channels.value)) {
        if (!isObject(ch)) continue;
        for (const key of CHANNEL_KEYS) if (ch[key] !== undefined) flatten(ch[key], `${channels.path}.${name}.${key}`, out, fpKey);
      }
    }
  }
  for (const e of inst.envFile.entries) out.set(`.env:${e.key}`, maskedValue(e.value, e.key, fpKey));
  return Object.fromEntries([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface BaselineInputs {
  inst: Installation;
  now: Date;
  openclawVersion: string | null;
  fingerprintKey: Buffer;
  observations: readonly PermObservation[];
  skills: ReadonlyArray<{ name: string; path: string; source: string; hash: string }>;
  listeners: ListenerSample;
  egressAllowlistPath: string;
  crontab: CrontabState;
  timers: readonly UserTimer[];
  launchAgents: readonly LaunchAgent[];
}

async function egressAllowlist(path: string): Promise<{ sha256: string | null; problem: string | null; rules: unknown[] }> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return { sha256: null, problem: null, rules: [] };
  const sha256 = createHash('sha256').update(text).digest('hex');
  try {
    const data = JSON.parse(text) as unknown;
    if (!Array.isArray(data)) return { sha256, problem: 'not a JSON array', rules: [] };
    return { sha256, problem: null, rules: [...data].sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b))) };
  } catch (err) {
    return { sha256, problem: `invalid JSON: ${(err as Error).message}`, rules: [] };
  }
}

const byString = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export async function buildBaseline(i: BaselineInputs): Promise<BaselineSnapshot> {
  const main = i.inst.files.find((f) => f.role === 'main');
  const outbound = i.inst.config ? readSetting(i.inst.config, 'outboundAllowlist').value : undefined;
  const egress = await egressAllowlist(i.egressAllowlistPath);
  const sockets = new Map<string, { protocol: string; address: string; port: number }>();
  for (const s of i.listeners.sockets) sockets.set(`${s.protocol}|${s.address}|${s.port}`, { protocol: s.protocol, address: s.address, port: s.port });
  const rel = (p: string) => (p === i.inst.stateDir ? '.' : p.startsWith(i.inst.stateDir + '/') ? relative(i.inst.stateDir, p) : p);
  return {
    format: 'ocsec-security-baseline',
    version: 1,
    created_at: i.now.toISOString(),
    state_dir: i.inst.stateDir,
    openclaw_version: i.openclawVersion,
    config: {
      path: i.inst.configPath,
      sha256: main?.sha256 ?? null,
      files: i.inst.files.map((f) => ({ path: f.path, sha256: f.sha256 })).sort(byString((f) => f.path)),
      parse_error: i.inst.problems.length > 0 ? i.inst.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('; ') : null,
      values: securityValues(i.inst.config, i.inst, i.fingerprintKey),
    },
    skills: i.skills.map((s) => ({ name: s.name, path: s.path, source: s.source, hash: s.hash })).sort(byString((s) => s.path)),
    listening: { available: i.listeners.available, reason: i.listeners.reason, sockets: [...sockets.values()].sort(byString((s) => `${s.protocol}|${String(s.port).padStart(5, '0')}|${s.address}`)) },
    egress_allowlist: {
      file: i.egressAllowlistPath,
      sha256: egress.sha256,
      problem: egress.problem,
      rules: egress.rules,
      openclaw_outbound: (Array.isArray(outbound) ? outbound.filter((x): x is string => typeof x === 'string') : []).sort(),
    },
    file_modes: i.observations.map((o) => ({ path: rel(o.path), type: o.type, mode: octal(o.mode), uid: o.uid })).sort(byString((f) => f.path)),
    scheduled: {
      crontab: { available: i.crontab.available, reason: i.crontab.reason, lines: [...i.crontab.lines].sort() },
      systemd_user_timers: [...i.timers].sort(byString((t) => t.file)),
      launch_agents: [...i.launchAgents].sort(byString((a) => a.file)),
    },
  };
}
