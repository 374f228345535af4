// Covers daemon/compliance/notifier.ts and notifications.ts: settings from the environment and ocsec.json, the
// allowlist and the refusals (shell or interpreter, relative path, not allowlisted, writable by others), a real
// delivery on stdin with a sanitized environment, the deadline on a ManualClock, and the diff that makes an
// identical second run send nothing.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../daemon/clock.js';
import type { CheckResult } from '../../daemon/compliance/assess.js';
import { complianceConfigSchema } from '../../daemon/compliance/config.js';
import { deliver, notifierEnvironment, notifierSettings, parseAllowlist, parseCommand, vetNotifier, type AllowEntry } from '../../daemon/compliance/notifier.js';
import { diffChecks, formatMessage, isEmpty } from '../../daemon/compliance/notifications.js';
import { loadShellEscapes } from '../../daemon/policy/risk.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-notify-');
afterEach(() => dirs.cleanup());
const escapes = loadShellEscapes();
const notifyDefaults = complianceConfigSchema.parse({}).notify;

/** A notifier that copies its stdin to the file named by its first argument. */
function catNotifier(): { program: string; out: string } {
  const dir = dirs.make();
  const program = join(dir, 'notify');
  writeFileSync(program, '#!/bin/sh\ncat > "$1"\n', { mode: 0o700 });
  return { program, out: join(dir, 'message.txt') };
}

describe('notifier settings', () => {
  it.each<[string, string, string[] | RegExp]>([
    ['JSON argv', '["/usr/local/bin/notify", "--to", "sec team"]', ['/usr/local/bin/notify', '--to', 'sec team']],
    ['words (never a shell: no quoting)', '/usr/local/bin/notify --urgent', ['/usr/local/bin/notify', '--urgent']],
    ['bad JSON', '["/x"', /not valid JSON/],
    ['JSON with a number in it', '["/x", 3]', /JSON array of non-empty strings/],
    ['JSON with an empty word', '["/x", ""]', /JSON array of non-empty strings/],
  ])('OPENCLAW_VIOLATION_NOTIFY_CMD as %s', (_name, text, expected) => {
    const r = parseCommand(text);
    if (Array.isArray(expected)) expect(r).toEqual({ argv: expected });
    else expect('problem' in r && r.problem).toMatch(expected);
  });

  it.each<[string, string, AllowEntry[], RegExp | null]>([
    ['JSON argv arrays', '[["/usr/local/bin/notify", "--to", "ops"], ["/usr/bin/logger"]]', [{ kind: 'argv', argv: ['/usr/local/bin/notify', '--to', 'ops'] }, { kind: 'argv', argv: ['/usr/bin/logger'] }], null],
    ['comma-separated absolute paths', '/usr/local/bin/notify, /usr/bin/logger', [{ kind: 'path', path: '/usr/local/bin/notify' }, { kind: 'path', path: '/usr/bin/logger' }], null],
    ['a relative entry is dropped and reported', '/usr/bin/logger,notify', [{ kind: 'path', path: '/usr/bin/logger' }], /entry 2 \("notify"\) is not an absolute path/],
    ['a relative argv is dropped and reported', '[["notify"]]', [], /starts with "notify", not an absolute path/],
  ])('OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST as %s', (_name, text, entries, problem) => {
    const r = parseAllowlist(text);
    expect(r.entries).toEqual(entries);
    if (problem) expect(r.problems.join('\n')).toMatch(problem);
    else expect(r.problems).toEqual([]);
  });

  it('the environment wins over ocsec.json, each on its own', () => {
    const config = complianceConfigSchema.parse({ notify: { command: ['/opt/a'], allowlist: [['/opt/a']] } }).notify;
    expect(notifierSettings({}, config)).toMatchObject({ command: ['/opt/a'], commandSource: 'ocsec.json', allowlistSource: 'ocsec.json' });
    expect(notifierSettings({ OPENCLAW_VIOLATION_NOTIFY_CMD: '/opt/b' }, config)).toMatchObject({ command: ['/opt/b'], commandSource: 'OPENCLAW_VIOLATION_NOTIFY_CMD', allowlist: [{ kind: 'argv', argv: ['/opt/a'] }] });
    expect(notifierSettings({ OPENCLAW_VIOLATION_NOTIFY_ALLOWLIST: '/opt/b' }, config)).toMatchObject({ command: ['/opt/a'], allowlist: [{ kind: 'path', path: '/opt/b' }] });
    expect(notifierSettings({}, notifyDefaults)).toMatchObject({ command: null, allowlist: [] });
  });
});

describe('vetNotifier', () => {
  it('an allowlisted absolute program of ours is allowed', () => {
    const { program, out } = catNotifier();
    expect(vetNotifier([program, out], [{ kind: 'argv', argv: [program, out] }], escapes)).toEqual({ ok: true, argv: [program, out], program });
    expect(vetNotifier([program, out], [{ kind: 'path', path: program }], escapes).ok).toBe(true);
  });

  it.each<[string, (p: string, out: string) => { argv: string[]; allow: AllowEntry[] }, RegExp]>([
    ['a shell launcher, even allowlisted', () => ({ argv: ['/bin/sh', '-c', 'mail root'], allow: [{ kind: 'argv', argv: ['/bin/sh', '-c', 'mail root'] }] }), /\/bin\/sh is a shell or interpreter launcher/],
    ['bash by path', () => ({ argv: ['/usr/bin/bash'], allow: [{ kind: 'path', path: '/usr/bin/bash' }] }), /shell or interpreter launcher/],
    ['an interpreter', () => ({ argv: ['/usr/bin/python3', '-c', 'print(1)'], allow: [{ kind: 'path', path: '/usr/bin/python3' }] }), /python3.* is a shell or interpreter launcher/],
    ['env in front of a command', () => ({ argv: ['/usr/bin/env', 'notify-send'], allow: [{ kind: 'path', path: '/usr/bin/env' }] }), /env is a shell or interpreter launcher/],
    ['a relative path', () => ({ argv: ['notify', 'x'], allow: [{ kind: 'path', path: '/usr/local/bin/notify' }] }), /"notify" is not an absolute path/],
    ['a dot-relative path', () => ({ argv: ['./notify'], allow: [] }), /not an absolute path/],
    ['an argv not on the allowlist (other arguments)', (p, out) => ({ argv: [p, out, '--extra'], allow: [{ kind: 'argv', argv: [p, out] }] }), /is not on the notifier allowlist/],
    ['another program', (p) => ({ argv: [p], allow: [{ kind: 'path', path: '/usr/bin/logger' }] }), /is not on the notifier allowlist/],
    ['an empty allowlist', (p) => ({ argv: [p], allow: [] }), /no notifier is allowlisted/],
    ['a missing program', () => ({ argv: ['/nonexistent/notify'], allow: [{ kind: 'path', path: '/nonexistent/notify' }] }), /cannot be found: ENOENT/],
  ])('refuses %s', (_name, make, reason) => {
    const { program, out } = catNotifier();
    const { argv, allow } = make(program, out);
    const v = vetNotifier(argv, allow, escapes);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toMatch(reason);
  });

  it('refuses a program others can change', () => {
    const { program } = catNotifier();
    chmodSync(program, 0o727);
    expect(vetNotifier([program], [{ kind: 'path', path: program }], escapes)).toMatchObject({ ok: false, reason: expect.stringMatching(/writable by other users/) });
    chmodSync(program, 0o770);
    expect(vetNotifier([program], [{ kind: 'path', path: program }], escapes)).toMatchObject({ ok: false, reason: expect.stringMatching(/writable by its group/) });
  });

  it('refuses a program owned by another user', () => {
    const { program } = catNotifier();
    expect(vetNotifier([program], [{ kind: 'path', path: program }], escapes, 4242)).toMatchObject({ ok: process.getuid?.() === 0 ? true : false });
  });
});

describe('deliver', () => {
  it('the allowlisted argv receives the message on stdin, with no shell and a sanitized environment', async () => {
    const dir = dirs.make();
    const program = join(dir, 'notify');
    writeFileSync(program, '#!/bin/sh\ncat > "$1"\nenv > "$2"\n', { mode: 0o700 });
    const out = join(dir, 'message.txt');
    const envOut = join(dir, 'env.txt');
    const clock = new ManualClock();
    const secretEnv = { HOME: '/home/alice', PATH: '/tmp/evil:/usr/bin', OPENCLAW_APPROVAL_TOKEN: 'hunter2-hunter2', NODE_OPTIONS: '--require /tmp/x.js', OPENCLAW_GATEWAY_TOKEN: 'abc', LD_PRELOAD: '/tmp/x.so' };
    const r = await deliver([program, out, envOut], 'hello $(id) `id` ; rm -rf /\n', { clock, env: secretEnv });
    expect(r).toMatchObject({ outcome: 'delivered', exitCode: 0 });
    expect(readFileSync(out, 'utf8')).toBe('hello $(id) `id` ; rm -rf /\n');
    const env = readFileSync(envOut, 'utf8');
    expect(env).toMatch(/^PATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/m);
    expect(env).toMatch(/^HOME=\/home\/alice$/m);
    expect(env).not.toMatch(/hunter2|NODE_OPTIONS|OPENCLAW_GATEWAY_TOKEN|LD_PRELOAD|\/tmp\/evil/);
  });

  it('a failing notifier is a failure with its exit status and first stderr line', async () => {
    const dir = dirs.make();
    const program = join(dir, 'notify');
    writeFileSync(program, '#!/bin/sh\necho "smtp: connection refused" >&2\nexit 3\n', { mode: 0o700 });
    const r = await deliver([program], 'x', { clock: new ManualClock(), env: {} });
    expect(r).toMatchObject({ outcome: 'failed', exitCode: 3, detail: expect.stringMatching(/exited 3: smtp: connection refused/) });
  });

  it.skipIf(process.platform !== 'linux')('a hanging notifier (and what it started) is killed at the deadline on the injected clock', async () => {
    const dir = dirs.make();
    const program = join(dir, 'notify');
    const childPidFile = join(dir, 'child.pid');
    // It starts a grandchild and waits on it: both must die when the deadline passes.
    writeFileSync(program, `#!/bin/sh\nsleep 300 &\necho $! > "${childPidFile}"\nwait\n`, { mode: 0o700 });
    const clock = new ManualClock();
    const pending = deliver([program], 'x', { clock, env: {} });
    for (let i = 0; i < 500 && !existsSync(childPidFile); i++) await new Promise((r) => setTimeout(r, 10));
    const grandchild = Number(readFileSync(childPidFile, 'utf8'));
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(4999);
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled, 'not killed before 5 s').toBe(false);
    clock.advance(1);
    const r = await pending;
    expect(r).toMatchObject({ outcome: 'timeout', detail: 'killed after 5000 ms without exiting' });
    expect(r.durationMs).toBe(5000);
    // Killed means gone or a zombie (where PID 1 is not an init that reaps orphans).
    const isRunning = () => {
      try {
        return !/^State:\s+Z/m.test(readFileSync(`/proc/${grandchild}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    let alive = isRunning();
    for (let i = 0; i < 100 && alive; i++) {
      await new Promise((res) => setTimeout(res, 10));
      alive = isRunning();
    }
    expect(alive, 'the grandchild in its process group is gone too').toBe(false);
  });

  it.skipIf(process.platform !== 'linux')('a hanging notifier whose setsid descendant keeps stderr open still times out at the deadline', async () => {
    const dir = dirs.make();
    const program = join(dir, 'notify');
    const escapedPidFile = join(dir, 'escaped.pid');
    // The descendant leaves the process group (so the group kill misses it) and holds the stderr pipe.
    writeFileSync(program, `#!/bin/sh\nsetsid sh -c 'echo $$ > "${escapedPidFile}"; exec sleep 30' &\nsleep 300\n`, { mode: 0o700 });
    const clock = new ManualClock();
    let escaped: number | null = null;
    try {
      const pending = deliver([program], 'x', { clock, env: {} });
      for (let i = 0; i < 500 && !(existsSync(escapedPidFile) && readFileSync(escapedPidFile, 'utf8').endsWith('\n')); i++) await new Promise((r) => setTimeout(r, 10));
      escaped = Number(readFileSync(escapedPidFile, 'utf8'));
      expect(escaped).toBeGreaterThan(1);
      clock.advance(5000);
      const r = await pending;
      expect(r).toMatchObject({ outcome: 'timeout', detail: 'killed after 5000 ms without exiting' });
      expect(r.durationMs).toBe(5000);
      expect(existsSync(`/proc/${escaped}`), 'the escaped descendant is still running: the wait did not depend on it').toBe(true);
    } finally {
      if (escaped !== null) {
        try {
          process.kill(-escaped, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });

  it('a program that cannot start is a failure, not an exception', async () => {
    const r = await deliver(['/nonexistent/notify'], 'x', { clock: new ManualClock(), env: {} });
    expect(r.outcome).toBe('failed');
    expect(r.detail).toMatch(/ENOENT/);
  });

  it('notifierEnvironment keeps only what notifiers need', () => {
    expect(notifierEnvironment({ HOME: '/h', USER: 'u', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus', AWS_SECRET_ACCESS_KEY: 'x', PATH: '/tmp' })).toEqual({
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      OCSEC_NOTIFY: '1',
      HOME: '/h',
      USER: 'u',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus',
    });
  });
});

function result(check_id: string, status: CheckResult['status'], risk: CheckResult['risk'] = 'high'): CheckResult {
  return {
    check_id: check_id as never, title: check_id, status, risk, observed_state: `${check_id} is ${status}`, evidence: `evidence of ${check_id}`, evidence_data: {}, gap: 'g', mitigation: `fix ${check_id}`,
    owner: 'SecOps', due_date: status === 'compliant' ? null : '2026-01-17', first_seen: null, waived_status: status === 'waived' ? 'violation' : null,
    waiver: status === 'waived' ? { id: 1, justification: 'j', approver: 'Eve', expires_at: '2026-02-01T00:00:00.000Z' } : null, iso27001: [], nist_csf: [], nist_800_53: [], expected_state: '', duration_ms: 0,
  };
}

describe('diffChecks', () => {
  it('new items, then nothing on an identical run, then escalation, then resolution', () => {
    const run1 = [result('a', 'violation'), result('b', 'partial', 'medium'), result('c', 'compliant')];
    const d1 = diffChecks(run1, new Map(), true);
    expect(d1.added.map((i) => i.key)).toEqual(['check:a', 'check:b']);
    const notified = new Map(d1.open.map((o) => [o.key, o]));
    const d2 = diffChecks(run1, notified, true);
    expect(isEmpty(d2)).toBe(true);
    const d3 = diffChecks([result('a', 'violation'), result('b', 'violation'), result('c', 'compliant')], notified, true);
    expect(d3.escalated.map((i) => `${i.key} ${i.previous}→${i.status}`)).toEqual(['check:b partial→violation']);
    expect(d3.added).toEqual([]);
    const d4 = diffChecks([result('a', 'compliant'), result('b', 'waived'), result('c', 'compliant')], notified, true);
    expect(d4.resolved.map((i) => i.key)).toEqual(['check:a', 'check:b']);
    expect(d4.resolved[1]!.detail).toMatch(/waived until 2026-02-01T00:00:00.000Z by Eve/);
    expect(d4.forget).toEqual(['check:a', 'check:b']);
  });

  it('an error says nothing about an item: it is neither new nor resolved', () => {
    const d = diffChecks([result('a', 'error')], new Map([['check:a', { status: 'violation', risk: 'high' }]]), true);
    expect(isEmpty(d)).toBe(true);
    expect(d.forget).toEqual([]);
  });

  it('with on_partial false only violations are reported', () => {
    const d = diffChecks([result('a', 'partial'), result('b', 'violation')], new Map(), false);
    expect(d.added.map((i) => i.key)).toEqual(['check:b']);
  });

  it('a de-escalation is remembered without a message', () => {
    const d = diffChecks([result('a', 'partial')], new Map([['check:a', { status: 'violation', risk: 'high' }]]), true);
    expect(isEmpty(d)).toBe(true);
    expect(d.open).toEqual([{ key: 'check:a', status: 'partial', risk: 'high' }]);
  });

  it('the message names each item with evidence and fix, and control characters stay inert', () => {
    const bad = { ...result('a', 'violation'), evidence: 'process \u001b[31mevil\u001b[0m\nFAKE LINE' };
    const text = formatMessage(diffChecks([bad], new Map(), true), { host: 'box', stateDir: '/s', source: 'compliance run #3', at: '2026-01-10T12:00:00.000Z', dashboard: '/s/d.html' }, 'text');
    expect(text).toContain('ocsec on box (/s): 1 new, 0 escalated, 0 resolved — compliance run #3 at 2026-01-10T12:00:00.000Z');
    expect(text).toContain('NEW a violation high — process \\x1b[31mevil\\x1b[0m\\nFAKE LINE');
    expect(text).toContain('  Fix: fix a (SecOps, due 2026-01-17)');
    expect(text).not.toMatch(/\u001b/);
    const json = JSON.parse(formatMessage(diffChecks([bad], new Map(), true), { host: 'box', stateDir: '/s', source: 'x', at: 't', dashboard: null }, 'json')) as { added: Array<{ key: string }> };
    expect(json.added[0]!.key).toBe('check:a');
  });
});
