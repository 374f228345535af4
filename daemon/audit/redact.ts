/** Removes secrets from audit data before it is hashed, stored or mirrored, so they never reach the trail. */

export const REDACTED = '[REDACTED]';

/** Keys whose string values are secrets wherever they appear (env maps, config snippets, fields). */
export const SECRET_KEY = /(passw(or)?d|passphrase|(^|[-_])pass($|[-_])|secret|token|api[-_]?key|apikey|credential|private[-_]?key|access[-_]?key|session[-_]?key|auth[-_]?key|cookie)/i;

/** Credential-shaped substrings in any string: vendor token formats, key blocks, URL userinfo, bearer headers. */
export const SECRET_VALUE_PATTERNS: ReadonlyArray<{ name: string; pattern: RegExp; replace: string }> = [
  { name: 'private key block', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, replace: REDACTED },
  { name: 'anthropic key', pattern: /\bsk-ant-[A-Za-z0-9_-]{8,}/g, replace: REDACTED },
  { name: 'openai key', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}/g, replace: REDACTED },
  { name: 'github token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, replace: REDACTED },
  { name: 'slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  { name: 'aws access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: REDACTED },
  { name: 'google api key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: REDACTED },
  { name: 'bearer credential', pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replace: `$1 ${REDACTED}` },
  { name: 'url userinfo password', pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, replace: `$1:${REDACTED}@` },
];

/** `--password=x`, `--db-token=x`: the flag stays (it explains the command), the value goes. */
const SECRET_FLAG_WITH_VALUE = /^(--?[A-Za-z0-9-]*(?:passw(?:or)?d|passphrase|secret|token|api-?key|apikey|credentials?|private-key|access-key)[A-Za-z0-9-]*)=(.+)$/i;
/** The same flags given as a separate word: the next argv element is the secret. */
const SECRET_FLAG_ALONE = /^--?[A-Za-z0-9-]*(?:passw(?:or)?d|passphrase|secret|token|api-?key|apikey|credentials?|private-key|access-key)[A-Za-z0-9-]*$/i;
/** `NAME=value` words (sudo's leading env assignments, `env` arguments) whose name is secret. */
const ENV_ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
/** Programs whose `-pSECRET` (attached) short option is a password, as MySQL's clients document it. */
const ATTACHED_P_PASSWORD = new Set(['mysql', 'mysqldump', 'mysqladmin', 'mysqlimport', 'mysqlcheck', 'mysqlshow', 'mysqlpump', 'mariadb', 'mariadb-dump', 'mariadb-admin']);
/** Programs whose `-p SECRET` (separate) option is a password. */
const SEPARATE_P_PASSWORD = new Set(['sshpass']);

/** Every SECRET_VALUE_PATTERNS match contains one of these; most strings contain none and skip the rest. */
const MAY_HOLD_SECRET = /sk-|gh[pousr]_|github_pat_|xox|AKIA|ASIA|AIza|bearer|basic|:\/\/|PRIVATE KEY/i;

export function redactString(value: string): string {
  if (!MAY_HOLD_SECRET.test(value)) return value;
  let out = value;
  for (const { pattern, replace } of SECRET_VALUE_PATTERNS) out = out.replace(pattern, replace);
  return out;
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash >= 0 ? path.slice(slash + 1) : path;
}

/**
 * Redacts an argv: secret flags' values, `-pSECRET` for MySQL clients, `-u user:pass` for curl,
 * secret env assignments, and credential-shaped substrings. Program detection follows every word
 * that names a program (so `sudo env X=1 mysql -psecret` is caught too).
 */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let program = '';
  let redactNext = false;
  for (const word of argv) {
    if (redactNext) {
      out.push(REDACTED);
      redactNext = false;
      continue;
    }
    const name = basename(word);
    if (!word.startsWith('-') && !ENV_ASSIGNMENT.test(word) && (out.length === 0 || ATTACHED_P_PASSWORD.has(name) || SEPARATE_P_PASSWORD.has(name) || name === 'curl')) {
      program = name;
    }
    // Program-specific forms first: `mysql -pMyPassword` must not be mistaken for a `--password`-style flag.
    if (ATTACHED_P_PASSWORD.has(program) && /^-p.+/.test(word)) {
      out.push(`-p${REDACTED}`);
      continue;
    }
    if (SEPARATE_P_PASSWORD.has(program) && /^-p.+/.test(word)) {
      out.push(`-p${REDACTED}`);
      continue;
    }
    if (program === 'curl' && /^(-u.+|--user=.+)$/.test(word)) {
      out.push(word.startsWith('--') ? `--user=${REDACTED}` : `-u${REDACTED}`);
      continue;
    }
    const flagWithValue = SECRET_FLAG_WITH_VALUE.exec(word);
    if (flagWithValue) {
      out.push(`${flagWithValue[1]}=${REDACTED}`);
      continue;
    }
    if (SECRET_FLAG_ALONE.test(word)) {
      out.push(word);
      redactNext = true;
      continue;
    }
    const assignment = ENV_ASSIGNMENT.exec(word);
    if (assignment && SECRET_KEY.test(assignment[1]!)) {
      out.push(`${assignment[1]}=${REDACTED}`);
      continue;
    }
    if (SEPARATE_P_PASSWORD.has(program) && word === '-p') {
      out.push(word);
      redactNext = true;
      continue;
    }
    if (program === 'curl' && (word === '-u' || word === '--user')) {
      out.push(word);
      redactNext = true; // curl -u user:password; the user name goes too, it is rarely useful and often part of the secret
      continue;
    }
    out.push(redactString(word));
  }
  return out;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Redacts a whole event payload: secret-named keys, argv-like arrays, and secret-shaped strings anywhere. */
export function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return key && SECRET_KEY.test(key) && value.length > 0 ? REDACTED : redactString(value);
  if (Array.isArray(value)) {
    if (key && SECRET_KEY.test(key)) return value.map((v) => (typeof v === 'string' && v.length > 0 ? REDACTED : redact(v)));
    if (isStringArray(value) && /argv|command|args|env/i.test(key)) return redactArgv(value);
    return value.map((v) => redact(v));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k);
    return out;
  }
  return value;
}
