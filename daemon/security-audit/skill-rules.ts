/**
 * The hardening guide's skill red flags as line rules: REJECT (critical), WARN (high/medium), NOTE (low).
 * Every pattern uses bounded repetition and no nested quantifiers, so hostile skill text cannot stall the
 * daemon; false-positive guards (a warning that merely mentions `curl | sh`, base64 that decodes to an
 * image) set a match aside with the reason, which the report keeps for review.
 */
import { gunzipSync } from 'node:zlib';
import type { Severity } from '../../client/security-report.js';
import { SKILL_RULES, type SkillRuleId } from '../../client/skill-rule-catalogue.js';

export type FileKind = 'prose' | 'code' | 'data';

export interface ScanTarget {
  /** Relative to the skill directory. */
  file: string;
  kind: FileKind;
  lines: readonly string[];
  /** For prose: whether each line sits inside a fenced code block (``` or ~~~). */
  inFence: readonly boolean[];
  skillName: string;
  skillDescription: string;
  isKnownHost(host: string): boolean;
}

export interface RuleHit {
  ruleId: string;
  line: number;
  column: number;
  match: string;
  message: string;
  /** Overrides the rule's severity (a raw IP address is worse than an unknown name). */
  severity?: Severity;
  /** Set when a false-positive guard set the match aside. */
  suppressed?: string;
}

/** A line rule: its id names its level, severity and guidance in client/skill-rule-catalogue.ts. */
export interface SkillRule {
  id: SkillRuleId;
  kinds: readonly FileKind[];
  scan(target: ScanTarget): RuleHit[];
}

const CAUTION = /\b(never|don'?t|do not|avoid|warning|caution|beware|dangerous|unsafe|insecure|not recommended|red flag|reject|malicious|suspicious|attack|watch (?:out )?for|for example|e\.g\.)\b/i;

function isProseLine(t: ScanTarget, i: number): boolean {
  return t.kind === 'prose' && !t.inFence[i];
}

/** A prose line that warns about the thing rather than asking for it. */
function isCautionary(line: string): boolean {
  return CAUTION.test(line);
}

/** The match sits inside `backticks` or "double quotes" on its line: quoted, not instructed. */
function isQuoted(line: string, start: number): boolean {
  const before = line.slice(0, start);
  const count = (c: string) => before.split(c).length - 1;
  return count('`') % 2 === 1 || count('"') % 2 === 1 || before.lastIndexOf('“') > before.lastIndexOf('”');
}

function* matchesIn(pattern: RegExp, target: ScanTarget, lineFilter: (i: number) => boolean = () => true) {
  for (let i = 0; i < target.lines.length; i++) {
    if (!lineFilter(i)) continue;
    const line = target.lines[i]!;
    pattern.lastIndex = 0;
    for (const m of line.matchAll(pattern)) yield { i, line, m, start: m.index ?? 0, end: (m.index ?? 0) + m[0].length };
  }
}

function hit(ruleId: string, i: number, start: number, match: string, message: string, extra: Partial<RuleHit> = {}): RuleHit {
  return { ruleId, line: i + 1, column: start + 1, match: match.slice(0, 200), message, ...extra };
}

// ---------------------------------------------------------------------------------------------
// REJECT

const FETCH = String.raw`(?:curl|wget|fetch|iwr|irm|Invoke-WebRequest|Invoke-RestMethod)`;
const SHELL = String.raw`(?:sudo\s+(?:-\S+\s+){0,3})?(?:(?:ba|z|da|k|fi|a)?sh|python[0-9.]{0,4}|node|perl|ruby|php|iex|Invoke-Expression)`;
const PIPE_TO_SHELL = [
  new RegExp(String.raw`\b${FETCH}\b[^|\n]{0,400}\|\s*${SHELL}\b`, 'gi'),
  new RegExp(String.raw`\b(?:ba|z|da|k)?sh\s+(?:-[a-z]{1,4}\s+){0,2}["']?\$\(\s*${FETCH}\b`, 'gi'),
  new RegExp(String.raw`(?:\b(?:ba|z|da|k)?sh|\bsource|(?:^|\s)\.)\s+<\(\s*${FETCH}\b`, 'gi'),
  /\bbase64\s+(?:-d|--decode|-D)\b[^|\n]{0,200}\|\s*(?:sudo\s+)?(?:(?:ba|z|da|k)?sh|python[0-9.]{0,4}|perl|node)\b/gi,
  /\b(?:iex|Invoke-Expression)\s*\(?\s*\(?\s*(?:New-Object\s+Net\.WebClient\)\.DownloadString|iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b/gi,
];
/** A command with something to fetch: a URL, a host name or a variable. `curl | sh` alone is a mention. */
const CONCRETE_TARGET = /:\/\/|\$|%[A-Z_]+%|\b[a-z0-9-]+\.(?:[a-z0-9-]+\.)*[a-z]{2,}\b/i;

const pipeToShell: SkillRule = {
  id: 'pipe-to-shell',
  kinds: ['prose', 'code', 'data'],
  scan(t) {
    const hits: RuleHit[] = [];
    const seen = new Set<string>();
    for (const pattern of PIPE_TO_SHELL) {
      for (const { i, line, m, start } of matchesIn(pattern, t)) {
        const key = `${i}:${start}`;
        if (seen.has(key)) continue;
        seen.add(key);
        let suppressed: string | undefined;
        if (isProseLine(t, i) && !CONCRETE_TARGET.test(m[0]) && (isCautionary(line) || isCautionary(t.lines[i - 1] ?? '') || isQuoted(line, start))) {
          suppressed = 'a warning that mentions the pattern: no URL or host to fetch, in cautionary prose';
        }
        hits.push(hit('pipe-to-shell', i, start, m[0], 'pipes downloaded content into a shell or interpreter', suppressed ? { suppressed } : {}));
      }
    }
    return hits;
  },
};

const HOME = String.raw`(?:~|\$HOME|\$\{HOME\}|%USERPROFILE%|/home/[\w.-]{1,64}|/Users/[\w.-]{1,64}|/root)`;
const SENSITIVE_PATHS = [
  new RegExp(String.raw`${HOME}[/\\]\.(?:ssh|gnupg)\b`, 'g'),
  /\.aws[/\\](?:credentials|config)\b/g,
  /\bid_(?:rsa|dsa|ecdsa|ed25519)\b(?!\.pub)/g,
  /\bjoin\s*\([^)\n]{0,120}["'`]\.(?:ssh|gnupg|aws)["'`]/g,
  /["'`]\.(?:ssh|gnupg)\/[^"'`\n]{0,80}["'`]/g,
];
const NEGATED_ACCESS = /\b(?:never|not|don'?t|do not|won'?t|will not|doesn'?t|does not|without|no)\b[^.;:!?\n]{0,40}\b(?:read|reads|reading|access|accesses|accessing|touch|touches|open|opens|upload|uploads|send|sends|copy|copies|modify|modifies|use|uses|need|needs|require|requires)\b[^.;:!?\n]{0,40}$/i;

const sensitivePath: SkillRule = {
  id: 'sensitive-path',
  kinds: ['prose', 'code', 'data'],
  scan(t) {
    const hits: RuleHit[] = [];
    const seen = new Set<string>();
    for (const pattern of SENSITIVE_PATHS) {
      for (const { i, line, m, start } of matchesIn(pattern, t)) {
        if (seen.has(`${i}`)) continue;
        seen.add(`${i}`);
        let suppressed: string | undefined;
        if (isProseLine(t, i) && NEGATED_ACCESS.test(line.slice(0, start))) suppressed = 'the sentence says the path is not accessed';
        else if (t.kind === 'data' && /\b(?:deny|denied|block(?:ed)?|exclude[ds]?|forbidden)/i.test(line)) suppressed = 'listed as a denied path';
        hits.push(hit('sensitive-path', i, start, m[0], 'refers to a credential store (SSH keys, GnuPG keyring, AWS credentials)', suppressed ? { suppressed } : {}));
      }
    }
    return hits;
  },
};

const BASE64_BLOB = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{40,}={0,2}/g;
const DATA_URI_BEFORE = /data:(?:image|font|audio|video)\/[\w.+-]{1,40};base64,$/i;
/** Strong signs that decoded text is a command or program, not prose or data. */
const CODE_SIGNS = /#!\s*\/|\/dev\/tcp\/|\b(?:curl|wget)\s+\S|\b(?:ba|z)?sh\s+-[ci]\b|\beval\s*[("$]|\bexec\s*\(|\bos\.system\b|\bsubprocess\.|\bchild_process\b|\brequire\s*\(\s*['"]|\bimport\s+(?:os|sys|subprocess|socket|base64)\b|\bpowershell\b|\bFromBase64String\b|\brm\s+-rf\b|\bchmod\s+[+0-7]|\bnc\s+-[el]|\bpython[0-9.]*\s+-c\b|\bInvoke-Expression\b|\|\s*(?:ba|z)?sh\b/i;

/** What a decoded blob is, by its magic number, when it is media or an archive rather than text. */
export function mediaKind(bytes: Buffer): string | null {
  const starts = (sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47])) return 'image/png';
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x47, 0x49, 0x46, 0x38])) return 'image/gif';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (starts([0x00, 0x00, 0x01, 0x00])) return 'image/x-icon';
  if (starts([0x42, 0x4d])) return 'image/bmp';
  if (starts([0x77, 0x4f, 0x46, 0x32]) || starts([0x77, 0x4f, 0x46, 0x46])) return 'font/woff';
  if (starts([0x25, 0x50, 0x44, 0x46])) return 'application/pdf';
  return null;
}

function printableRatio(text: string): number {
  if (text.length === 0) return 0;
  let printable = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13) printable++;
  }
  return printable / text.length;
}

/** Decodes a base64 candidate; gzip inside is unpacked once (a common way to hide a script). */
export function decodeBlob(blob: string): { kind: 'media'; media: string } | { kind: 'text'; text: string } | { kind: 'binary' } {
  let bytes = Buffer.from(blob.slice(0, 96 * 1024), 'base64');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: 256 * 1024 });
    } catch {
      return { kind: 'binary' };
    }
  }
  const media = mediaKind(bytes);
  if (media) return { kind: 'media', media };
  const text = bytes.subarray(0, 16 * 1024).toString('latin1');
  return printableRatio(text) >= 0.85 ? { kind: 'text', text } : { kind: 'binary' };
}

const encodedPayload: SkillRule = {
  id: 'encoded-payload',
  kinds: ['prose', 'code', 'data'],
  scan(t) {
    const hits: RuleHit[] = [];
    let blobs = 0;
    for (const { i, line, m, start } of matchesIn(BASE64_BLOB, t)) {
      if (++blobs > 500) break;
      const blob = m[0];
      if (/^[0-9a-fA-F]+$/.test(blob) || !/[A-Z]/.test(blob) || !/[a-z]/.test(blob)) continue; // hashes, identifiers
      const decoded = decodeBlob(blob);
      if (decoded.kind === 'media') {
        hits.push(hit('encoded-payload', i, start, blob, `decodes to ${decoded.media}`, { suppressed: `decodes to ${decoded.media}, not code` }));
        continue;
      }
      if (DATA_URI_BEFORE.test(line.slice(Math.max(0, start - 80), start))) continue;
      if (decoded.kind !== 'text' || !CODE_SIGNS.test(decoded.text)) continue;
      const preview = decoded.text.replace(/\s+/g, ' ').trim().slice(0, 80);
      hits.push(hit('encoded-payload', i, start, blob, `base64 decodes to code: ${preview}`));
    }
    return hits;
  },
};

const COVERT = [
  /\b(?:don'?t|do not|never)\s+(?:tell|inform|notify|alert|reveal\s+(?:this\s+|it\s+)?to|mention\s+(?:this\s+|it\s+)?to|disclose\s+(?:this\s+|it\s+)?to)\s+(?:the\s+|your\s+)?(?:user|human|owner|operator)s?\b/gi,
  /\bdon'?t\s+let\s+(?:the\s+)?(?:user|human|owner|operator)\s+know\b/gi,
  /\bwithout\s+(?:telling|informing|notifying|asking|alerting)\s+(?:the\s+|your\s+)?(?:user|human|owner|operator)\b/gi,
  /\bkeep\s+(?:this|it|these(?:\s+\w{1,20})?)\s+(?:secret|hidden|confidential)\s+from\b/gi,
  /\b(?:internal|system|hidden|secret)\s+(?:rules|instructions)\b/gi,
  /\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?(?:previous|prior|above|earlier|preceding|original)\s+(?:instructions|prompts|rules|messages|directions)\b/gi,
];
/** Zero-width, bidirectional-override and Unicode tag characters hide text from a human reader. */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|\uDB40[\uDC00-\uDC7F]/g;

const covertInstructions: SkillRule = {
  id: 'covert-instructions',
  kinds: ['prose', 'code', 'data'],
  scan(t) {
    const hits: RuleHit[] = [];
    for (const pattern of COVERT) {
      for (const { i, line, m, start } of matchesIn(pattern, t)) {
        const suppressed = isProseLine(t, i) && isQuoted(line, start) && isCautionary(line) ? 'quoted as an example in a warning' : undefined;
        hits.push(hit('covert-instructions', i, start, m[0], 'hides instructions from the user or overrides the agent\'s rules', suppressed ? { suppressed } : {}));
      }
    }
    for (const { i, m, start } of matchesIn(INVISIBLE, t)) {
      if (i === 0 && start === 0 && m[0] === '\uFEFF') continue; // a byte-order mark
      const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      hits.push(hit('covert-instructions', i, start, `U+${code}`, `invisible character U+${code} can hide text from a reader`));
      break; // one is enough to reject; the rest repeat it
    }
    return hits;
  },
};

// ---------------------------------------------------------------------------------------------
// WARN

const URL = /\b(?:https?|wss?|ftp):\/\/([^\s/"'<>)\]`:?#\\]{1,253})/gi;

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host) || host.startsWith('[');
}

function isLoopbackOrPrivate(host: string): 'loopback' | 'private' | null {
  const h = host.replace(/^\[|\]$/g, '');
  if (/^127\./.test(h) || h === '::1' || h === '0.0.0.0') return 'loopback';
  if (/^10\./.test(h) || /^192\.168\./.test(h) || /^172\.(1[6-9]|2\d|3[01])\./.test(h) || /^169\.254\./.test(h) || /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./.test(h) || /^f[cd]/i.test(h)) return 'private';
  return null;
}

const unknownDomain: SkillRule = {
  id: 'unknown-domain',
  kinds: ['prose', 'code', 'data'],
  scan(t) {
    const hits: RuleHit[] = [];
    const seen = new Set<string>();
    for (const { i, m, start } of matchesIn(URL, t)) {
      const host = m[1]!.toLowerCase().replace(/\.$/, '').replace(/^[^@]*@/, '');
      if (seen.has(host)) continue;
      seen.add(host);
      const local = isLoopbackOrPrivate(host);
      if (local === 'loopback' || t.isKnownHost(host)) continue;
      if (isIpLiteral(host)) {
        hits.push(hit('unknown-domain', i, start, m[0], `URL to a raw IP address (${host})`, { severity: local === 'private' ? 'medium' : 'high' }));
      } else {
        hits.push(hit('unknown-domain', i, start, m[0], `URL to ${host}, which is not on the known-good list`));
      }
    }
    return hits;
  },
};

const DYNAMIC_EXEC = [
  /(?<![.\w$])eval\s*\(\s*(?!["'][^"'\n]{0,200}["']\s*\))/g,
  /\bnew\s+Function\s*\(/g,
  /(?<![.\w$])exec(?:Sync)?\s*\(\s*(?!["'][^"'\n]{0,200}["']\s*[,)])/g,
  /\b(?:child_process|childProcess|cp)\.(?:exec|execSync|spawn|spawnSync)\s*\([^)\n]{0,200}(?:\$\{|["'`]\s*\+|shell\s*:\s*true)/g,
  /\bos\.(?:system|popen)\s*\(\s*(?!["'][^"'\n]{0,200}["']\s*\))/g,
  /\bsubprocess\.\w{1,20}\s*\([^)\n]{0,300}shell\s*=\s*True/g,
  /\bvm\.runIn\w{0,20}Context\s*\(/g,
  /(?:^|[;&|]\s*|\s)eval\s+["']?\$/g,
  /\b(?:ba|z)?sh\s+-c\s+["']?\$(?!\()/g,
];

const dynamicExec: SkillRule = {
  id: 'dynamic-exec',
  kinds: ['code', 'prose'],
  scan(t) {
    const hits: RuleHit[] = [];
    const seen = new Set<number>();
    const inCode = (i: number) => t.kind === 'code' || t.inFence[i] === true;
    for (const pattern of DYNAMIC_EXEC) {
      for (const { i, m, start } of matchesIn(pattern, t, inCode)) {
        if (seen.has(i)) continue;
        seen.add(i);
        hits.push(hit('dynamic-exec', i, start, m[0].trim(), 'evaluates or executes a value that is not a fixed literal'));
      }
    }
    return hits;
  },
};

const PASTE_COMMANDS = [
  /\binitiali[sz]ation\s+(?:steps?|instructions?|commands?)\b/gi,
  /\b(?:first[- ]run|setup|bootstrap)\s+(?:steps?|instructions?|commands?)\b[^\n]{0,120}\b(?:terminal|shell|console|command[- ]line)\b/gi,
  /\b(?:paste|copy)\b[^.\n]{0,60}\b(?:into|in)\s+(?:a\s+|your\s+|the\s+)?(?:terminal|shell|console|command[- ]line)\b/gi,
  /\b(?:open|launch)\s+(?:a\s+|your\s+|the\s+)?terminal\b[^.\n]{0,30}\b(?:and|then)\s+(?:run|paste|type|execute|enter)\b/gi,
  /\brun\s+(?:the\s+following|this|these)\s+(?:command|commands|script|lines?)\s+(?:in|into|from)\s+(?:a\s+|your\s+|the\s+)?(?:terminal|shell|console)\b/gi,
];

const pasteCommands: SkillRule = {
  id: 'paste-commands',
  kinds: ['prose'],
  scan(t) {
    const hits: RuleHit[] = [];
    const seen = new Set<number>();
    for (const pattern of PASTE_COMMANDS) {
      for (const { i, m, start } of matchesIn(pattern, t, (i) => !t.inFence[i])) {
        if (seen.has(i)) continue;
        seen.add(i);
        hits.push(hit('paste-commands', i, start, m[0], 'asks the user to run commands in a terminal'));
      }
    }
    return hits;
  },
};

const CONFIG_REQUEST = [
  /\b(?:read|load|fetch|download|open|request|send|upload|cat|print|share|provide|paste|give|show)\b[^.\n]{0,40}?(?:\bopenclaw\.json\b|\bauth-profiles\.json\b|\.openclaw\/(?:\.env|credentials)|\b(?:your|the user'?s|openclaw'?s?|the agent'?s|the system)\s+(?:config(?:uration)?|rules?|settings)\s+files?\b|\bsystem\s+prompt\b|\bAGENTS\.md\b|\bSOUL\.md\b)/gi,
  /["'`][^"'`\n]{0,80}(?:openclaw\.json|auth-profiles\.json|\.openclaw\/(?:credentials|agents|\.env))[^"'`\n]{0,80}["'`]/g,
];

const configRequest: SkillRule = {
  id: 'config-request',
  kinds: ['prose', 'code', 'data'],
  scan(t) {
    const hits: RuleHit[] = [];
    const seen = new Set<number>();
    for (const pattern of CONFIG_REQUEST) {
      for (const { i, m, start } of matchesIn(pattern, t)) {
        if (seen.has(i)) continue;
        seen.add(i);
        hits.push(hit('config-request', i, start, m[0], "requests OpenClaw's configuration, credentials or rules"));
      }
    }
    return hits;
  },
};

// ---------------------------------------------------------------------------------------------
// NOTE

const SYSTEM_PATH = /(?:^|[\s"'`(=:])((?:~|\$HOME|\$\{HOME\})\/[\w.\-/]{2,200}|\/(?:etc|var|opt|private|Library|System|proc|sys|root|home|Users|srv|mnt|media)\/[\w.\-/]{0,200})/g;
const HARMLESS_PATH = /^\/(?:dev\/(?:null|std\w+)|proc\/self|usr\/bin|usr\/local\/bin|bin|tmp)\b/;

function pathSegments(path: string): string[] {
  return path.split(/[/.\-_]/).filter((s) => /^[a-z]{3,}$/i.test(s) && !/^(home|users|root|etc|var|opt|private|library|system|local|share|config|cache|usr|srv|mnt|media|proc|sys)$/i.test(s));
}

const outOfScopePath: SkillRule = {
  id: 'out-of-scope-path',
  kinds: ['prose', 'code', 'data'],
  scan(t) {
    const hits: RuleHit[] = [];
    const purpose = `${t.skillName} ${t.skillDescription}`.toLowerCase();
    const seen = new Set<string>();
    for (const { i, line, m } of matchesIn(SYSTEM_PATH, t)) {
      const path = m[1]!;
      if (i === 0 && line.startsWith('#!')) continue;
      if (seen.has(path) || HARMLESS_PATH.test(path) || /\.(?:ssh|gnupg|aws)\b/.test(path)) continue;
      seen.add(path);
      if (pathSegments(path).some((s) => purpose.includes(s.toLowerCase()))) continue;
      const start = (m.index ?? 0) + m[0].indexOf(path);
      hits.push(hit('out-of-scope-path', i, start, path, `refers to ${path}, which the skill's description does not explain`));
    }
    return hits;
  },
};

const NETWORK_CALL = /\bfetch\s*\(|\baxios(?:\.\w{1,10})?\s*\(|\bhttps?\.(?:get|request)\s*\(|\brequests\.(?:get|post|put|delete|patch|request)\s*\(|\burllib(?:\.request)?\.urlopen\s*\(|\bXMLHttpRequest\b|\bnew\s+WebSocket\s*\(|\bnet\.connect\s*\(|\bsocket\.(?:connect|create_connection)\s*\(|(?:^|[\s;|&(])(?:curl|wget)\s/g;
const NETWORK_PURPOSE = /\b(?:api|apis|web|http|https|url|urls|internet|online|download|upload|fetch|search|browse|weather|news|feed|rss|email|mail|slack|discord|telegram|github|sync|cloud|remote|server|service|network|request|post|webhook|http)\b/i;
const INSTALL_HOOK = /"(?:pre|post)?install"\s*:/g;

const unrequestedNetwork: SkillRule = {
  id: 'unrequested-network',
  kinds: ['code', 'data'],
  scan(t) {
    const hits: RuleHit[] = [];
    if (t.kind === 'data') {
      if (!/(^|\/)package\.json$/.test(t.file)) return hits;
      for (const { i, m, start } of matchesIn(INSTALL_HOOK, t)) hits.push(hit('unrequested-network', i, start, m[0], 'an npm install hook runs code when the skill is installed, before anyone asks it to'));
      return hits;
    }
    if (NETWORK_PURPOSE.test(`${t.skillName} ${t.skillDescription}`)) return hits;
    for (const { i, m, start } of matchesIn(NETWORK_CALL, t)) {
      hits.push(hit('unrequested-network', i, start, m[0].trim(), "makes a network call that the skill's description does not mention"));
      break; // one per file: the point is that the file talks to the network
    }
    return hits;
  },
};

/** Rules applied line by line to each file; skill-level rules (name, symlinks) live in skills.ts. */
export const LINE_RULES: readonly SkillRule[] = [pipeToShell, sensitivePath, encodedPayload, covertInstructions, unknownDomain, dynamicExec, pasteCommands, configRequest, outOfScopePath, unrequestedNetwork];

/** Rules judged on the skill as a whole rather than line by line (see skills.ts). */
export const SKILL_LEVEL_RULES = {
  typosquat: { id: 'name-typosquat', ...SKILL_RULES['name-typosquat'] },
  symlinkEscape: { id: 'symlink-escape', ...SKILL_RULES['symlink-escape'] },
} as const;

export function ruleInfo(id: SkillRuleId) {
  return SKILL_RULES[id];
}
