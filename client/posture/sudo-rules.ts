/** Parses `sudo -n -l` (sudo 1.8/1.9 short format) into rules, and finds the ones that need no password. */
import type { HostPosture } from '../protocol.js';

export interface SudoRule {
  runas: string;
  commands: Array<{ command: string; nopasswd: boolean }>;
  raw: string;
}

export interface SudoListing {
  defaults: string[];
  rules: SudoRule[];
  /** `Defaults !authenticate` applies: no rule asks for a password. */
  authenticateDisabled: boolean;
}

/** Splits on commas that sudo did not escape (`\,` stays inside a value). */
function splitList(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === ',') {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

const TAG = /^(NOPASSWD|PASSWD|NOEXEC|EXEC|SETENV|NOSETENV|LOG_INPUT|NOLOG_INPUT|LOG_OUTPUT|NOLOG_OUTPUT|MAIL|NOMAIL|FOLLOW|NOFOLLOW|INTERCEPT|NOINTERCEPT):\s*/;
/** Per-rule options sudo 1.9 prints before the tags, e.g. `CWD=* ` or `TIMEOUT=1h `. */
const OPTION = /^(CWD|CHROOT|TIMEOUT|NOTBEFORE|NOTAFTER|ROLE|TYPE|APPARMOR_PROFILE|PRIVS|LIMITPRIVS)=\S+\s+/;

export function parseSudoList(text: string): SudoListing {
  const lines = text.split(/\r?\n/);
  const defaults: string[] = [];
  const rules: SudoRule[] = [];
  let section: 'none' | 'defaults' | 'rules' = 'none';
  for (const line of lines) {
    if (/^Matching Defaults entries for /.test(line)) {
      section = 'defaults';
      continue;
    }
    if (/^User .+ may run the following commands on /.test(line)) {
      section = 'rules';
      continue;
    }
    if (line.trim() === '') {
      if (section === 'defaults') section = 'none';
      continue;
    }
    if (!/^\s/.test(line)) {
      section = 'none';
      continue;
    }
    const body = line.trim();
    if (section === 'defaults') defaults.push(...splitList(body));
    else if (section === 'rules') {
      const m = /^\(([^)]*)\)\s*(.*)$/.exec(body);
      let rest = m ? m[2]! : body;
      while (OPTION.test(rest)) rest = rest.replace(OPTION, '');
      let nopasswd = false;
      const commands: SudoRule['commands'] = [];
      for (let item of splitList(rest)) {
        for (let tag = TAG.exec(item); tag; tag = TAG.exec(item)) {
          if (tag[1] === 'NOPASSWD') nopasswd = true;
          if (tag[1] === 'PASSWD') nopasswd = false;
          item = item.slice(tag[0].length);
        }
        if (item !== '') commands.push({ command: item, nopasswd });
      }
      rules.push({ runas: m ? m[1]!.trim() : '', commands, raw: body });
    }
  }
  const authenticateDisabled = defaults.some((d) => d.trim() === '!authenticate');
  return { defaults, rules, authenticateDisabled };
}

/** Rules that let this user run something as another user without a password, one line each. */
export function passwordlessRules(listing: SudoListing): string[] {
  return listing.rules
    .map((r) => {
      const free = r.commands.filter((c) => c.nopasswd || listing.authenticateDisabled).map((c) => c.command);
      return free.length > 0 ? `(${r.runas}) ${free.join(', ')}` : null;
    })
    .filter((s): s is string => s !== null);
}

/** What `sudo -n -l` said, in the terms doctor and the compliance check use. */
export function classifySudoList(realSudo: string, res: { code: number | null; stdout: string; stderr: string }): HostPosture['sudo'] {
  const base = { realSudo, passwordless: [] as string[], authenticateDisabled: false };
  const err = res.stderr.trim();
  if (res.code === 0) {
    const listing = parseSudoList(res.stdout);
    const passwordless = passwordlessRules(listing);
    return {
      realSudo,
      status: 'listed',
      passwordless,
      authenticateDisabled: listing.authenticateDisabled,
      detail: passwordless.length > 0 ? `${passwordless.length} rule(s) run without a password` : `${listing.rules.length} rule(s), all asking for a password`,
    };
  }
  if (/password is required/i.test(err)) {
    return { ...base, status: 'password-required', detail: "listing the rules needs a password: with sudo's default listpw=any, no rule of yours is NOPASSWD" };
  }
  if (/may not run sudo|not in the sudoers|not allowed to run sudo/i.test(err)) return { ...base, status: 'no-rights', detail: 'this user may not use sudo at all' };
  if (/no new privileges/i.test(err)) return { ...base, status: 'unavailable', detail: 'sudo cannot run under no_new_privs' };
  return { ...base, status: 'error', detail: err.split('\n')[0] || `sudo -n -l exited ${res.code}` };
}
