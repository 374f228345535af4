/** Finds credentials in configuration values and text, estimates a token's strength, and masks what it reports: never the secret itself. */
import { createHmac } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { SECRET_KEY, SECRET_VALUE_PATTERNS } from '../audit/redact.js';

/** Secret-looking key names that hold metadata about a secret (where it lives, how long it lasts), not the secret. */
const METADATA_KEY = /(source|envvar|env|file|path|storage|service|account|mode|type|id|name|url|uri|days|minutes|seconds|ms|header|policy|rotation|limit|count|length|enabled|required|fields|patterns|profile|provider)$|^(max|min)[A-Z_]/i;

/** The public part of a vendor token, safe to show: it says what kind of key leaked, not which. */
const VENDOR_PREFIX = /^(sk-ant-|sk-proj-|sk-svcacct-|sk-admin-|sk-|gh[pousr]_|github_pat_|xox[abposr]-|AKIA|ASIA|AIza|-----BEGIN [A-Z ]*PRIVATE KEY-----|Bearer |Basic )/;

export function isSecretKeyName(key: string): boolean {
  return SECRET_KEY.test(key) && !METADATA_KEY.test(key);
}

/** `${VAR}` substitutions, `env:`/`keychain:`/`vault:` references and bare variable names point at a secret kept elsewhere. */
export function isSecretReference(value: string): boolean {
  return (
    /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(value) ||
    /^(env|keychain|vault|op|secret|file|aws-sm|gcp-sm):/i.test(value) ||
    /^[A-Z][A-Z0-9_]{2,}$/.test(value) ||
    /^<[^>]*>$/.test(value)
  );
}

/** `sk-ant-…(108 chars)`: the vendor prefix at most, and the length, which helps tell two keys apart. */
export function maskSecret(value: string): string {
  const prefix = VENDOR_PREFIX.exec(value)?.[1] ?? '';
  return `${prefix}…(${value.length} chars)`;
}

/** A keyed fingerprint for baselines: shows that a secret changed without offering its hash to a dictionary attack. */
export function fingerprintSecret(value: string, key: Buffer): string {
  return createHmac('sha256', key).update(value).digest('hex').slice(0, 12);
}

function poolSize(s: string): number {
  if (/^[0-9a-f]+$/.test(s) || /^[0-9A-F]+$/.test(s)) return /^[0-9]+$/.test(s) ? 10 : 16;
  let pool = 0;
  if (/[a-z]/.test(s)) pool += 26;
  if (/[A-Z]/.test(s)) pool += 26;
  if (/[0-9]/.test(s)) pool += 10;
  if (/[-_+/=]/.test(s)) pool += 4;
  if (/[^-_+/=a-zA-Z0-9\u0080-\uffff]/.test(s)) pool += 29;
  if (/[\u0080-\uffff]/.test(s)) pool += 100;
  return Math.max(pool, 2);
}

/** Characters that continue a run of three or more identical or consecutive characters (aaaa, abcd, 4321). */
function runCharacters(s: string): number {
  let inRuns = 0;
  let runLength = 1;
  let step = 0;
  for (let i = 1; i <= s.length; i++) {
    const d = i < s.length ? s.charCodeAt(i) - s.charCodeAt(i - 1) : NaN;
    if (i < s.length && Math.abs(d) <= 1 && (runLength === 1 || d === step)) {
      step = d;
      runLength++;
      continue;
    }
    if (runLength >= 3) inRuns += runLength - 1;
    runLength = 1;
    step = 0;
  }
  return inRuns;
}

/**
 * An estimate of the guessing entropy of a token, in bits: its length (less characters in obvious
 * runs, when they are a quarter of it or more) times log2 of the character classes it draws from,
 * capped by its DEFLATE-compressed size (repetition such as `abcabc…` compresses away). Random
 * tokens get their full charset value: `openssl rand -hex 32` scores 256.
 */
export function estimateEntropyBits(s: string): number {
  if (s.length === 0) return 0;
  const runs = runCharacters(s);
  const effective = runs * 4 >= s.length ? s.length - runs : s.length;
  const charsetBits = effective * Math.log2(poolSize(s));
  const compressedBits = deflateRawSync(Buffer.from(s, 'utf8'), { level: 9 }).length * 8;
  return Math.floor(Math.min(charsetBits, compressedBits));
}

/** How each credential shape is named in findings. */
const KIND_LABEL: Record<string, string> = {
  'private key block': 'private key',
  'anthropic key': 'Anthropic API key',
  'openai key': 'OpenAI API key',
  'github token': 'GitHub token',
  'slack token': 'Slack token',
  'aws access key id': 'AWS access key id',
  'google api key': 'Google API key',
  'bearer credential': 'bearer token',
  'url userinfo password': 'password in a URL',
};

export interface SecretMatch {
  kind: string;
  value: string;
  masked: string;
  /** 0-based offset in the scanned text. */
  index: number;
}

/** Vendor-shaped credentials anywhere in a string (the same shapes the audit trail redacts). */
export function vendorSecretsIn(text: string): SecretMatch[] {
  const found: SecretMatch[] = [];
  // Patterns run most specific first (sk-ant- before sk-); a span already claimed is not reported twice.
  const claimed: Array<[number, number]> = [];
  for (const { name, pattern } of SECRET_VALUE_PATTERNS) {
    for (const m of text.matchAll(pattern)) {
      const start = m.index ?? 0;
      const end = start + m[0].length;
      if (claimed.some(([a, b]) => start < b && end > a)) continue;
      claimed.push([start, end]);
      let value = m[0];
      let masked = maskSecret(value);
      if (name === 'bearer credential') {
        value = value.replace(/^\S+\s+/, '');
        masked = `${m[0].split(/\s/)[0]} …(${value.length} chars)`;
      } else if (name === 'url userinfo password') {
        // Only the password is secret: scheme://user:PASSWORD@
        const at = /^([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):([^\s@/]+)@$/i.exec(value);
        if (!at) continue;
        value = at[2]!;
        masked = `${at[1]}:…(${value.length} chars)@`;
      }
      found.push({ kind: KIND_LABEL[name] ?? name, value, masked, index: start });
    }
  }
  return found.sort((a, b) => a.index - b.index);
}

export interface ConfigSecret {
  keyPath: string;
  kind: string;
  masked: string;
  /** Kept in memory to locate and compare; never written to a report. */
  value: string;
  bits: number;
}

export const GENERIC_SECRET_KIND = 'secret';

/** Minimum estimated bits for a value under a secret-like key to count as a credential rather than a setting. */
export const GENERIC_SECRET_MIN_BITS = 64;

function isPathOrUrl(value: string): boolean {
  return /^(\/|~\/|\.\.?\/|[a-z][a-z0-9+.-]*:\/\/)/i.test(value) && !/:\/\/[^\s:/@]+:[^\s@/]+@/.test(value);
}

/**
 * Credentials in a parsed configuration: vendor-shaped strings anywhere, and high-entropy strings under
 * secret-like key names (token, secret, password, apiKey…) that are not references to a secret kept elsewhere.
 */
export function findConfigSecrets(value: unknown, path = ''): ConfigSecret[] {
  if (typeof value === 'string') {
    const vendor = vendorSecretsIn(value);
    if (vendor.length > 0) return vendor.map((v) => ({ keyPath: path, kind: v.kind, masked: v.masked, value: v.value, bits: estimateEntropyBits(v.value) }));
    const key = path.split(/[.[\]]/).filter((s) => s !== '' && !/^\d+$/.test(s)).pop() ?? '';
    if (!isSecretKeyName(key) || isSecretReference(value) || isPathOrUrl(value) || value.length < 12) return [];
    const bits = estimateEntropyBits(value);
    // Settings made of lower-case words (`agent:main:main`) are not keys: a generated secret mixes character classes or is long.
    const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((c) => c.test(value)).length;
    return bits >= GENERIC_SECRET_MIN_BITS && (classes >= 2 || bits >= 100) ? [{ keyPath: path, kind: GENERIC_SECRET_KIND, masked: maskSecret(value), value, bits }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => findConfigSecrets(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => findConfigSecrets(v, path ? `${path}.${k}` : k));
  }
  return [];
}
