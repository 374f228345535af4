// Covers daemon/policy/command-policy.ts: shlex.join parity, the reference evaluation order, RE2 pattern compilation errors with file/line/field, and the prompt policy.
import { describe, expect, it } from 'vitest';
import {
  commandPolicySchema,
  EMPTY_COMMAND_POLICY,
  evaluateCommandPolicy,
  parseCommandPolicy,
  parsePromptPolicy,
  shellJoin,
  shellProgramOf,
  shellQuote,
  type CommandPolicy,
} from '../../daemon/policy/command-policy.js';
import { formatProblem } from '../../daemon/json-file.js';

const FILE = '/home/u/.openclaw/security/command-policy.json';

function policy(doc: Record<string, unknown>): CommandPolicy {
  const r = parseCommandPolicy(FILE, JSON.stringify(doc, null, 2));
  if (!r.ok) throw new Error(formatProblem(r.problem));
  return r.value;
}

function problemOf(text: string) {
  const r = parseCommandPolicy(FILE, text);
  if (r.ok) throw new Error('expected the file to be rejected');
  return r.problem;
}

/** The reference template from reference-formats.md. */
const TEMPLATE = {
  allow: ['^/usr/bin/apt\\b'],
  deny: ['\\brm\\s+-rf\\b', '\\bshutdown\\b'],
  allow_exact: [['/usr/bin/systemctl', 'restart', 'nginx']],
  deny_exact: [['/usr/bin/rm', '-rf', '/']],
};

describe('shellJoin is Python shlex.join', () => {
  // Expected values are what CPython's shlex.join / shlex.quote return for the same input.
  it.each<[string, string[], string]>([
    ['plain words stay bare', ['/usr/bin/apt', 'install', 'nginx'], '/usr/bin/apt install nginx'],
    ['every safe punctuation stays bare', ['a@b%c+d=e:f,g.h/i-j_k'], 'a@b%c+d=e:f,g.h/i-j_k'],
    ['empty word', ['/bin/echo', ''], "/bin/echo ''"],
    ['space', ['/bin/echo', 'a b'], "/bin/echo 'a b'"],
    ['tab and newline', ['x\ty', 'l1\nl2'], "'x\ty' 'l1\nl2'"],
    ['single quote', ["it's"], `'it'"'"'s'`],
    ['only a single quote', ["'"], `''"'"''`],
    ['double quote', ['say "hi"'], `'say "hi"'`],
    ['dollar', ['$HOME'], "'$HOME'"],
    ['command substitution', ['$(id)'], "'$(id)'"],
    ['glob star', ['/tmp/*'], "'/tmp/*'"],
    ['glob question and brackets', ['a?[bc]'], "'a?[bc]'"],
    ['tilde', ['~root'], "'~root'"],
    ['semicolon and ampersand', ['a;b&&c'], "'a;b&&c'"],
    ['backslash', ['a\\b'], "'a\\b'"],
    ['non-ASCII letters are quoted (re.ASCII)', ['café'], "'café'"],
    ['emoji', ['🚀'], "'🚀'"],
    ['empty argv', [], ''],
  ])('%s', (_name, argv, expected) => {
    expect(shellJoin(argv)).toBe(expected);
  });

  it('shellQuote of the empty string is two quotes', () => {
    expect(shellQuote('')).toBe("''");
  });
});

describe('evaluateCommandPolicy: reference order deny_exact → deny → allow_exact → allow → allowed', () => {
  const template = policy(TEMPLATE);

  it.each<[string, CommandPolicy, string[], { allowed: boolean; rule: string }]>([
    ['deny_exact: the exact argv is denied', template, ['/usr/bin/rm', '-rf', '/'], { allowed: false, rule: 'deny_exact[0]' }],
    ['deny_exact wins over an allow_exact for the same argv', policy({ deny_exact: [['/bin/x']], allow_exact: [['/bin/x']] }), ['/bin/x'], { allowed: false, rule: 'deny_exact[0]' }],
    ['deny_exact compares whole argv: an extra word does not match it', policy({ deny_exact: [['/bin/x']] }), ['/bin/x', 'y'], { allowed: true, rule: 'default' }],
    ['deny: pattern searched in the joined argv', template, ['/usr/bin/rm', '-rf', '/tmp/x'], { allowed: false, rule: 'deny[0]' }],
    ['deny: second pattern reported by its index', template, ['/usr/sbin/shutdown', '-h', 'now'], { allowed: false, rule: 'deny[1]' }],
    ['deny wins over allow_exact', policy({ deny: ['nginx'], allow_exact: [['/usr/bin/systemctl', 'restart', 'nginx']] }), ['/usr/bin/systemctl', 'restart', 'nginx'], { allowed: false, rule: 'deny[0]' }],
    ['deny wins over allow', template, ['/usr/bin/apt', 'remove', 'x', '&&', 'rm', '-rf', '/'], { allowed: false, rule: 'deny[0]' }],
    ['allow_exact: exact argv allowed', template, ['/usr/bin/systemctl', 'restart', 'nginx'], { allowed: true, rule: 'allow_exact[0]' }],
    ['allow: pattern match allowed', template, ['/usr/bin/apt', 'update'], { allowed: true, rule: 'allow[0]' }],
    ['allow_exact and allow together: matching neither is denied', template, ['/usr/bin/systemctl', 'stop', 'nginx'], { allowed: false, rule: 'not_allowlisted' }],
    ['allow_exact alone is exclusive: anything else is denied', policy({ allow_exact: [['/bin/true']] }), ['/bin/false'], { allowed: false, rule: 'not_allowlisted' }],
    ['allow_exact alone: its entry is allowed', policy({ allow_exact: [['/bin/true']] }), ['/bin/true'], { allowed: true, rule: 'allow_exact[0]' }],
    ['allow alone is exclusive: anything else is denied', policy({ allow: ['^/usr/bin/apt\\b'] }), ['/usr/bin/dnf', 'update'], { allowed: false, rule: 'not_allowlisted' }],
    ['no allowlist: whatever no deny rule caught is allowed', policy({ deny: ['shutdown'] }), ['/usr/bin/id'], { allowed: true, rule: 'default' }],
    ['empty policy allows', EMPTY_COMMAND_POLICY, ['/usr/bin/anything'], { allowed: true, rule: 'default' }],
    ['empty lists are not exclusive', policy({ allow: [], allow_exact: [] }), ['/usr/bin/id'], { allowed: true, rule: 'default' }],
  ])('%s', (_name, p, argv, expected) => {
    const decision = evaluateCommandPolicy(p, argv);
    expect({ allowed: decision.allowed, rule: decision.rule }).toEqual(expected);
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  it('names the pattern in the reason', () => {
    expect(evaluateCommandPolicy(template, ['/usr/bin/rm', '-rf', '/tmp/x']).reason).toContain('\\\\brm\\\\s+-rf\\\\b');
  });

  it('regexes are searched (unanchored), not fully matched', () => {
    expect(evaluateCommandPolicy(policy({ deny: ['-rf'] }), ['/usr/bin/rm', '-rf', '/tmp/x']).allowed).toBe(false);
  });

  it("regexes search the quoted form, so a deny also catches its words inside sh -c '...'", () => {
    // shlex.join gives "/usr/bin/sh -c 'rm -rf /'": the word boundaries and the space survive the quoting.
    const p = policy({ deny: ['\\brm\\s+-rf\\b'] });
    expect(evaluateCommandPolicy(p, ['/usr/bin/sh', '-c', 'rm -rf /'])).toMatchObject({ allowed: false, rule: 'deny[0]' });
    // and a pattern written for the quoted text matches it
    expect(evaluateCommandPolicy(policy({ deny: ["-c '"] }), ['/usr/bin/sh', '-c', 'id'])).toMatchObject({ allowed: true });
    expect(evaluateCommandPolicy(policy({ deny: ["-c 'i d'"] }), ['/usr/bin/sh', '-c', 'i d'])).toMatchObject({ allowed: false });
  });

  it('an allow pattern anchored at the end sees the closing quote of a quoted last word', () => {
    const p = policy({ allow: ['^/usr/bin/apt install [a-z]+$'] });
    expect(evaluateCommandPolicy(p, ['/usr/bin/apt', 'install', 'nginx']).allowed).toBe(true);
    expect(evaluateCommandPolicy(p, ['/usr/bin/apt', 'install', 'nginx;id']).allowed).toBe(false);
  });

  it('a catastrophic-backtracking pattern against a 50 000-character argv returns (RE2 is linear)', () => {
    // Under a backtracking engine this search would not finish and the test run would hang.
    const p = policy({ deny: ['(a+)+$'], allow: ['(x+x+)+y'] });
    const decision = evaluateCommandPolicy(p, ['/bin/echo', 'a'.repeat(50_000) + '!']);
    expect(decision).toMatchObject({ allowed: false, rule: 'not_allowlisted' });
  });
});

describe('deny_shells (ocsec addition)', () => {
  const p = policy({ deny_shells: true, allow: ['.'] });

  it.each<[string[], string | undefined]>([
    [['/usr/bin/bash'], 'bash'],
    [['/bin/sh', '-c', 'id'], 'sh'],
    [['/usr/bin/zsh', '-i'], 'zsh'],
    [['/usr/bin/env', 'bash'], 'bash'],
    [['/usr/bin/env', '-i', 'PATH=/bin', '/bin/dash'], 'dash'],
    [['/usr/bin/env', '-u', 'HOME', 'fish'], 'fish'],
    [['/usr/bin/env', '-S', 'bash -e'], 'bash'],
    [['/usr/bin/env', '--', 'sh'], 'sh'],
    [['/bin/busybox', 'ash'], 'busybox ash'],
    [['/usr/bin/env', 'FOO=1', '/usr/bin/id'], undefined],
    [['/bin/busybox', 'ls'], undefined],
    [['/usr/bin/apt', 'install', 'bash'], undefined],
    [[], undefined],
  ])('%j runs shell %s', (argv, shell) => {
    expect(shellProgramOf(argv)).toBe(shell);
  });

  it('denies a shell even when an allow pattern matches it (deny before allow)', () => {
    expect(evaluateCommandPolicy(p, ['/usr/bin/bash'])).toMatchObject({ allowed: false, rule: 'deny_shells' });
  });

  it('is off by default', () => {
    expect(evaluateCommandPolicy(EMPTY_COMMAND_POLICY, ['/usr/bin/bash'])).toMatchObject({ allowed: true, rule: 'default' });
  });

  it('comes after deny_exact and deny', () => {
    const q = policy({ deny_shells: true, deny_exact: [['/usr/bin/bash']], deny: ['zsh'] });
    expect(evaluateCommandPolicy(q, ['/usr/bin/bash']).rule).toBe('deny_exact[0]');
    expect(evaluateCommandPolicy(q, ['/usr/bin/zsh']).rule).toBe('deny[0]');
  });
});

describe('parseCommandPolicy: the file', () => {
  it('accepts the reference template and fills the ocsec defaults', () => {
    const p = policy(TEMPLATE);
    expect(p.deny_shells).toBe(false);
    expect(p.keep_session).toBe(false);
    expect(p.allow.map((c) => c.source)).toEqual(TEMPLATE.allow);
    expect(p.deny_exact).toEqual(TEMPLATE.deny_exact);
  });

  it('accepts an empty object: every key is optional', () => {
    expect(policy({})).toMatchObject({ allow: [], deny: [], allow_exact: [], deny_exact: [], deny_shells: false, keep_session: false });
  });

  it('reads deny_shells and keep_session', () => {
    expect(policy({ deny_shells: true, keep_session: true })).toMatchObject({ deny_shells: true, keep_session: true });
  });

  it('ignores comment keys', () => {
    expect(policy({ comment: 'reviewed 2026-01', _owner: 'ops', deny: ['x'] }).deny).toHaveLength(1);
  });

  it('returns the sha256 of the text', () => {
    const r = parseCommandPolicy(FILE, '{}');
    expect(r.sha256).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it.each<[string, string, { field: string; line: number; message: RegExp }]>([
    ['unbalanced parenthesis', '{\n  "deny": [\n    "ok",\n    "("\n  ]\n}', { field: 'deny[1]', line: 4, message: /invalid pattern "\(": .*missing closing \)/ }],
    ['backreference (RE2 unsupported)', '{\n  "deny": [\n    "ok",\n    "(a)\\\\1"\n  ]\n}', { field: 'deny[1]', line: 4, message: /invalid pattern "\(a\)\\\\1": .*invalid escape sequence.*no backreferences/ }],
    ['lookahead (RE2 unsupported)', '{\n  "deny": [\n    "ok",\n    "(?=x)"\n  ]\n}', { field: 'deny[1]', line: 4, message: /invalid pattern "\(\?=x\)": .*unsupported Perl syntax.*no lookahead/ }],
    ['Python \\Z (RE2 spells it \\z)', '{\n  "allow": ["^/bin/id\\\\Z"]\n}', { field: 'allow[0]', line: 2, message: /\\z, not \\Z/ }],
    ['allow is not an array', '{\n  "allow": "^/usr/bin/apt"\n}', { field: 'allow', line: 2, message: /expected array/ }],
    ['allow_exact holds a non-array', '{\n  "allow_exact": [\n    ["/bin/true"],\n    "/bin/false"\n  ]\n}', { field: 'allow_exact[1]', line: 4, message: /expected array/ }],
    ['a number in an argv', '{\n  "deny_exact": [\n    ["/bin/kill", 9]\n  ]\n}', { field: 'deny_exact[0][1]', line: 3, message: /expected string/ }],
    ['deny_shells is not a boolean', '{\n  "deny_shells": "yes"\n}', { field: 'deny_shells', line: 2, message: /expected boolean/ }],
    ['a typo in a key', '{\n  "deny": [],\n  "deny_exacts": []\n}', { field: 'deny_exacts', line: 3, message: /nrecognized key/ }],
    ['not an object', '[]', { field: '(root)', line: 1, message: /expected object/ }],
    ['invalid JSON', '{\n  "deny": [,]\n}', { field: '(root)', line: 2, message: /invalid JSON/ }],
  ])('rejects the whole file: %s', (_name, text, expected) => {
    const p = problemOf(text);
    expect(p.file).toBe(FILE);
    expect(p.field).toBe(expected.field);
    expect(p.line).toBe(expected.line);
    expect(p.message).toMatch(expected.message);
  });

  it('one bad pattern among good ones rejects the whole file, naming the file and line', () => {
    const text = JSON.stringify({ deny: ['\\bshutdown\\b', '('], allow: ['^/usr/bin/apt'] }, null, 2);
    expect(formatProblem(problemOf(text))).toMatch(/^\/home\/u\/\.openclaw\/security\/command-policy\.json:4:5: deny\[1\]: invalid pattern "\(": /);
  });

  it('the schema is usable on an already-parsed value', () => {
    expect(commandPolicySchema.safeParse({ deny: ['('] }).success).toBe(false);
    expect(commandPolicySchema.safeParse({ deny: ['x'] }).success).toBe(true);
  });
});

describe('parsePromptPolicy', () => {
  it.each<[string, string, boolean]>([
    ['the reference template', '{ "require_confirmation_for_untrusted": true }', true],
    ['explicitly off', '{ "require_confirmation_for_untrusted": false }', false],
    ['key absent defaults to true (as strict as the template)', '{}', true],
  ])('%s', (_name, text, expected) => {
    const r = parsePromptPolicy('/p.json', text);
    expect(r.ok && r.value.require_confirmation_for_untrusted).toBe(expected);
  });

  it('rejects a non-boolean with the field and line', () => {
    const r = parsePromptPolicy('/p.json', '{\n  "require_confirmation_for_untrusted": "yes"\n}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatchObject({ field: 'require_confirmation_for_untrusted', line: 2 });
  });
});
