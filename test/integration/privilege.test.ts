// privilege.*, session.* and factors.* against an in-process ocsecd on a ManualClock with a fake process table: approvals, self-approval rules, policies, risk, kept sessions and idle expiry, restarts, factors, untrusted sources — and the audit events each writes.
import * as OTPAuth from 'otpauth';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent, PrivilegeDecision, PrivilegeRequestParams } from '../../client/protocol.js';
import {
  codeOf,
  MINUTE,
  PID,
  PrivilegeHarness,
  requestParams,
  runGrant,
  WALL0,
  type HarnessOptions,
} from '../helpers/privilege.js';

const running: PrivilegeHarness[] = [];
async function start(opts: HarnessOptions = {}): Promise<PrivilegeHarness> {
  const h = await PrivilegeHarness.start(opts);
  running.push(h);
  return h;
}

/** Stops h keeping its state dir and starts a new daemon on it (a fresh ManualClock at wallMs). */
async function restart(h: PrivilegeHarness, opts: HarnessOptions & { wallMs: number }): Promise<PrivilegeHarness> {
  running.splice(running.indexOf(h), 1);
  const stateDir = await h.stopKeepingState();
  return start({ ...opts, stateDir });
}

afterEach(async () => {
  const hs = running.splice(0);
  try {
    // 15: whatever a test did, the hash chain it leaves behind verifies.
    for (const h of hs) await h.verifyChain();
  } finally {
    for (const h of hs) await h.stop();
  }
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const iso = (ms: number) => new Date(ms).toISOString();

function required(d: PrivilegeDecision): Extract<PrivilegeDecision, { decision: 'approval_required' }> {
  if (d.decision !== 'approval_required') throw new Error(`expected approval_required, got ${JSON.stringify(d)}`);
  return d;
}

function authorized(d: PrivilegeDecision): Extract<PrivilegeDecision, { decision: 'authorized' }> {
  if (d.decision !== 'authorized') throw new Error(`expected authorized, got ${JSON.stringify(d)}`);
  return d;
}

async function ask(h: PrivilegeHarness, pid: number, over: Partial<PrivilegeRequestParams> = {}) {
  return required(await h.call(pid, 'privilege.request', requestParams(over)));
}

/** Request as the shim and approve at its own terminal; returns the request id and the grant. */
async function askAndApprove(h: PrivilegeHarness, over: Partial<PrivilegeRequestParams> = {}, approve: { keepSession?: boolean; factor?: string; untrustedConfirmed?: boolean } = {}) {
  const d = await ask(h, PID.shim, over);
  const approved = await h.call(PID.shim, 'privilege.approve', { requestId: d.requestId, channel: 'tty', ...approve });
  expect(approved.grantId).toMatch(UUID);
  return { requestId: d.requestId, grantId: approved.grantId! };
}

const actions = (events: AuditEvent[]) => events.map((e) => e.action);

const PRIVILEGE_ACTIONS = [
  'approval_requested', 'approval_granted', 'approval_denied', 'approval_expired', 'approval_self_refused', 'approval_token_ok', 'approval_token_failed',
  'approval_lockout', 'approval_locked_out', 'exec_start', 'exec_finish', 'exec_unfinished', 'drop_elevation', 'timeout_drop', 'sudo_reset', 'grant_expired',
  'policy_block', 'policy_files_missing', 'session_id_missing', 'untrusted_source_block', 'untrusted_source_confirmed',
];

// ---------------------------------------------------------------------------------------------
// 1. The ordinary path
// ---------------------------------------------------------------------------------------------

describe('a standard command approved at the requester\'s terminal', () => {
  it('request → approval_required; tty approval by the requester → grant; begin/finish; audited in order with the argv', async () => {
    const h = await start();
    const argv = ['/usr/bin/systemctl', 'restart', 'nginx'];
    const mark = h.head();

    const d = await h.call(PID.shim, 'privilege.request', requestParams({ argv, reason: 'restart after config change' }));
    expect(d).toEqual({
      decision: 'approval_required',
      requestId: expect.any(Number),
      factors: ['confirm'],
      untrustedConfirmation: false,
      risk: 'standard',
      riskWhy: null,
      expiresAt: iso(WALL0 + 120_000),
      outOfBand: false,
    });
    const { requestId } = required(d);
    expect((await h.call(PID.human, 'privilege.pending')).requests).toMatchObject([
      { id: requestId, argv, risk: 'standard', reason: 'restart after config change', requester: { pid: PID.shim, ppid: PID.agent, process: 'node', tty: '/dev/pts/3', cwd: '/home/agent' } },
    ]);

    const approved = await h.call(PID.shim, 'privilege.approve', { requestId, channel: 'tty' });
    expect(approved).toEqual({ requestId, state: 'approved', grantId: expect.stringMatching(UUID) });
    const grantId = approved.grantId!;
    expect((await h.call(PID.human, 'privilege.pending')).requests).toEqual([]);

    const { begun, finished } = await runGrant(h, PID.shim, grantId, true, argv);
    expect(begun).toMatchObject({ resetAfter: true, keepSession: false });
    expect(finished).toEqual({ sessionKept: false });

    const events = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toEqual(['approval_requested', 'approval_granted', 'exec_start', 'exec_finish', 'sudo_reset', 'drop_elevation']);
    const [requested, granted, execStart, execFinish, , drop] = events as [AuditEvent, AuditEvent, AuditEvent, AuditEvent, AuditEvent, AuditEvent];
    for (const e of [requested, granted, execStart, execFinish]) expect(e.data.argv).toEqual(argv);
    for (const e of events) {
      expect(e.actor_pid).toBe(PID.shim);
      expect(e.subject).toBe(e.action === 'sudo_reset' ? 'sudo' : '/usr/bin/systemctl');
    }
    expect(requested.data).toMatchObject({ request_id: requestId, risk: 'standard', requester_ppid: PID.agent, requester_parent: 'node', reason: 'restart after config change' });
    expect(granted.data).toMatchObject({ request_id: requestId, grant_id: grantId, channel: 'tty', approver_pid: PID.shim, keep_session: false, risk: 'standard' });
    expect(execStart.data).toMatchObject({ grant_id: grantId, request_id: requestId, real_sudo: '/usr/bin/sudo', sudo_argv: ['--', ...argv], use_sudo: true });
    expect(execFinish.data).toMatchObject({ grant_id: grantId, returncode: 0, signal: null });
    // drop_elevation carries the grant (and names the program as its subject), which links it to the argv above.
    expect(drop.data).toMatchObject({ grant_id: grantId });
    expect(h.resets).toEqual([]); // the shim ran sudo -K itself (credentialReset); the daemon did not
  });

  it('a grant is single use: a second begin, and a finish after finishing, are GrantInvalid', async () => {
    const h = await start();
    const { grantId } = await askAndApprove(h);
    await runGrant(h, PID.shim, grantId, true);
    const mark = h.head();
    const again = await h.error(PID.shim, 'privilege.begin', { grantId, realSudo: '/usr/bin/sudo' });
    expect(again.code).toBe(codeOf('GrantInvalid'));
    expect(again.message).toMatch(/already used/);
    const finishAgain = await h.error(PID.shim, 'privilege.finish', { grantId, exitCode: 0, signal: null, durationMs: 1, credentialReset: null });
    expect(finishAgain.code).toBe(codeOf('GrantInvalid'));
    expect(h.events(mark, PRIVILEGE_ACTIONS)).toEqual([]);
  });

  it.each([
    ['another shim under the same agent', PID.shim2],
    ['the person\'s ocsecctl', PID.human],
    ['the requester\'s parent', PID.agent],
  ])('a grant is bound to the requester pid: %s cannot begin it, and the requester still can', async (_name, other) => {
    const h = await start();
    const { grantId } = await askAndApprove(h);
    const mark = h.head();
    const stolen = await h.error(other, 'privilege.begin', { grantId, realSudo: '/usr/bin/sudo' });
    expect(stolen.code).toBe(codeOf('GrantInvalid'));
    expect(stolen.message).toMatch(/another process/);
    expect(h.events(mark, ['exec_start'])).toEqual([]);

    expect(await h.call(PID.shim, 'privilege.begin', { grantId, realSudo: '/usr/bin/sudo' })).toMatchObject({ resetAfter: true, keepSession: false });
    const stolenFinish = await h.error(other, 'privilege.finish', { grantId, exitCode: 0, signal: null, durationMs: 1, credentialReset: null });
    expect(stolenFinish.code).toBe(codeOf('GrantInvalid'));
    expect(h.events(mark, ['exec_start', 'exec_finish']).map((e) => [e.action, e.actor_pid])).toEqual([['exec_start', PID.shim]]);
  });

  it('an unknown grant is GrantInvalid', async () => {
    const h = await start();
    const err = await h.error(PID.shim, 'privilege.begin', { grantId: '00000000-0000-4000-8000-000000000000', realSudo: '/usr/bin/sudo' });
    expect(err.code).toBe(codeOf('GrantInvalid'));
    expect(err.message).toMatch(/unknown grant/);
  });

  it('a grant lapses 60 s after approval if it is not begun', async () => {
    const h = await start();
    const { grantId } = await askAndApprove(h);
    await h.advance(60_000);
    const err = await h.error(PID.shim, 'privilege.begin', { grantId, realSudo: '/usr/bin/sudo' });
    expect(err.code).toBe(codeOf('GrantInvalid'));
    expect(err.message).toMatch(/expired/);
  });

  it('a denial at the terminal is audited and ends the request', async () => {
    const h = await start();
    const { requestId } = await ask(h, PID.shim);
    const mark = h.head();
    expect(await h.call(PID.shim, 'privilege.deny', { requestId, channel: 'tty' })).toEqual({ requestId, state: 'denied' });
    expect(h.events(mark, PRIVILEGE_ACTIONS).map((e) => [e.action, e.data.reason])).toEqual([['approval_denied', 'declined at the terminal']]);
    expect(await h.call(PID.shim, 'privilege.wait', { requestId, waitMs: 0 })).toEqual({ requestId, state: 'denied', grantId: null, reason: 'declined at the terminal' });
    expect((await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty' })).code).toBe(codeOf('RequestNotPending'));
  });
});

// ---------------------------------------------------------------------------------------------
// 2. and 3. Who may approve
// ---------------------------------------------------------------------------------------------

describe('self-approval rules', () => {
  it.each([
    ['another shim under the same agent', PID.shim2],
    ['the requester\'s parent', PID.agent],
    ['a person\'s independent ocsecctl', PID.human],
  ])('a tty approval from %s is SelfApprovalRefused, audited, and the request stays pending', async (_name, approver) => {
    const h = await start();
    const { requestId } = await ask(h, PID.shim);
    const mark = h.head();
    const err = await h.error(approver, 'privilege.approve', { requestId, channel: 'tty' });
    expect(err.code).toBe(codeOf('SelfApprovalRefused'));
    expect(err.message).toMatch(/process that made the request/);

    const events = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toEqual(['approval_self_refused']);
    expect(events[0]!.actor_pid).toBe(approver);
    expect(events[0]!.data).toMatchObject({ request_id: requestId, channel: 'tty', approver_pid: approver, argv: ['/usr/bin/id'], why: expect.stringMatching(/process that made the request/) });

    expect((await h.call(PID.human, 'privilege.pending')).requests.map((r) => r.id)).toEqual([requestId]);
    expect(await h.call(PID.shim, 'privilege.wait', { requestId, waitMs: 0 })).toEqual({ requestId, state: 'pending', grantId: null, reason: null });
    // Still pending for real: its own requester can approve it.
    expect((await h.call(PID.shim, 'privilege.approve', { requestId, channel: 'tty' })).state).toBe('approved');
  });

  it('a tty approval from a requester without a controlling terminal is SelfApprovalRefused (nobody can have been asked)', async () => {
    const h = await start();
    // The caller claims a terminal (interactive, tty name), but the kernel says it has none.
    const { requestId } = await ask(h, PID.background, { interactive: true, tty: '/dev/pts/9' });
    const mark = h.head();
    const err = await h.error(PID.background, 'privilege.approve', { requestId, channel: 'tty' });
    expect(err.code).toBe(codeOf('SelfApprovalRefused'));
    expect(err.message).toMatch(/controlling terminal/);
    expect(actions(h.events(mark, PRIVILEGE_ACTIONS))).toEqual(['approval_self_refused']);
    expect((await h.call(PID.background, 'privilege.wait', { requestId, waitMs: 0 })).state).toBe('pending');
  });

  it.each([
    ['the requester itself', PID.shim, PID.shim],
    ['a child of the requester\'s parent', PID.agentChild, PID.agent],
    ['a grandchild of the requester\'s parent', PID.agentGrandchild, PID.agent],
  ])('an out-of-band (cli) approval from %s is SelfApprovalRefused', async (_name, approver, sharedPid) => {
    const h = await start();
    const { requestId } = await ask(h, PID.shim);
    const mark = h.head();
    const err = await h.error(approver, 'privilege.approve', { requestId, channel: 'cli' });
    expect(err.code).toBe(codeOf('SelfApprovalRefused'));
    expect(err.message).toContain(`requester's process tree (pid ${sharedPid})`);
    const events = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toEqual(['approval_self_refused']);
    expect(events[0]!.data).toMatchObject({ request_id: requestId, channel: 'cli', approver_pid: approver });
    expect((await h.call(PID.shim, 'privilege.wait', { requestId, waitMs: 0 })).state).toBe('pending');
  });

  it('a cli approval from an independent process at a terminal approves; only the requester learns the grant', async () => {
    const h = await start();
    const { requestId } = await ask(h, PID.shim);
    const mark = h.head();
    const approved = await h.call(PID.human, 'privilege.approve', { requestId, channel: 'cli' });
    expect(approved).toEqual({ requestId, state: 'approved', grantId: null });

    const mine = await h.call(PID.shim, 'privilege.wait', { requestId, waitMs: 0 });
    expect(mine).toEqual({ requestId, state: 'approved', grantId: expect.stringMatching(UUID), reason: null });
    for (const other of [PID.human, PID.shim2, PID.agent]) {
      expect(await h.call(other, 'privilege.wait', { requestId, waitMs: 0 })).toEqual({ requestId, state: 'approved', grantId: null, reason: null });
    }
    const granted = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(granted)).toEqual(['approval_granted']);
    expect(granted[0]!.actor_pid).toBe(PID.human);
    expect(granted[0]!.data).toMatchObject({ channel: 'cli', approver_pid: PID.human, grant_id: mine.grantId });
    expect((await runGrant(h, PID.shim, mine.grantId!, true)).begun.resetAfter).toBe(true);
  });

  it('a parked privilege.wait returns with the grant the moment a person approves', async () => {
    const h = await start();
    const { requestId } = await ask(h, PID.shim, { interactive: false, allowNonInteractive: true });
    const parked = await h.parkedWait(PID.shim, requestId);
    await h.call(PID.human, 'privilege.approve', { requestId, channel: 'cli' });
    expect(await parked.result).toEqual({ requestId, state: 'approved', grantId: expect.stringMatching(UUID), reason: null });
  });

  it('a parked privilege.wait returns pending when its own waitMs passes on the daemon clock', async () => {
    const h = await start();
    const { requestId } = await ask(h, PID.shim, { interactive: false, allowNonInteractive: true });
    const parked = await h.parkedWait(PID.shim, requestId, 5_000);
    await h.advance(5_000);
    expect(await parked.result).toEqual({ requestId, state: 'pending', grantId: null, reason: null });
  });

  it.each([
    { name: 'refused while approval_requires_terminal is true (default)', config: {}, approved: false },
    { name: 'accepted when ocsec.json sets approval_requires_terminal false', config: { approval_requires_terminal: false }, approved: true },
  ])('a cli approval from an independent process without a terminal is $name', async ({ config, approved }) => {
    const h = await start({ config });
    const { requestId } = await ask(h, PID.shim);
    const mark = h.head();
    if (approved) {
      expect(await h.call(PID.background, 'privilege.approve', { requestId, channel: 'cli' })).toEqual({ requestId, state: 'approved', grantId: null });
      expect(actions(h.events(mark, PRIVILEGE_ACTIONS))).toEqual(['approval_granted']);
    } else {
      const err = await h.error(PID.background, 'privilege.approve', { requestId, channel: 'cli' });
      expect(err.code).toBe(codeOf('SelfApprovalRefused'));
      expect(err.message).toMatch(/approval_requires_terminal/);
      expect(actions(h.events(mark, PRIVILEGE_ACTIONS))).toEqual(['approval_self_refused']);
      expect((await h.call(PID.shim, 'privilege.wait', { requestId, waitMs: 0 })).state).toBe('pending');
    }
  });

  it('a cli approval from a process the daemon cannot see is refused (no terminal can be shown)', async () => {
    const h = await start();
    const { requestId } = await ask(h, PID.shim);
    const err = await h.error(99_999, 'privilege.approve', { requestId, channel: 'cli' });
    expect(err.code).toBe(codeOf('SelfApprovalRefused'));
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Callers without a terminal
// ---------------------------------------------------------------------------------------------

describe('non-interactive requests', () => {
  it.each([
    { name: 'refused by default', config: {}, params: {}, outcome: 'denied' as const },
    { name: 'wait out of band with allowNonInteractive', config: {}, params: { allowNonInteractive: true }, outcome: 'out-of-band' as const },
    { name: 'wait out of band with out_of_band_approval in ocsec.json', config: { out_of_band_approval: true }, params: {}, outcome: 'out-of-band' as const },
  ])('are $name', async ({ config, params, outcome }) => {
    const h = await start({ config });
    const mark = h.head();
    const d = await h.call(PID.shim, 'privilege.request', requestParams({ interactive: false, tty: null, ...params }));
    if (outcome === 'denied') {
      expect(d).toEqual({ decision: 'denied', code: 'non-interactive', exitCode: 2, requestId: null, reason: expect.stringContaining('non-interactive sudo is blocked') });
      const events = h.events(mark, PRIVILEGE_ACTIONS);
      expect(actions(events)).toEqual(['approval_denied']);
      expect(events[0]!.data).toMatchObject({ argv: ['/usr/bin/id'], decision: 'denied', code: 'non-interactive' });
      expect((await h.call(PID.human, 'privilege.pending')).requests).toEqual([]);
    } else {
      expect(d).toMatchObject({ decision: 'approval_required', outOfBand: true, factors: ['confirm'], risk: 'standard' });
      expect(actions(h.events(mark, PRIVILEGE_ACTIONS))).toEqual(['approval_requested']);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Command policy
// ---------------------------------------------------------------------------------------------

describe('command policy', () => {
  const RM_RF = ['/usr/bin/rm', '-rf', '/tmp/x'];
  const denyRmRf = JSON.stringify({ deny: ['\\brm\\s+-rf\\b'] }, null, 2);

  it('a deny pattern loaded at startup blocks the command before any approval: policy, exit 3, policy_block deny[0]', async () => {
    const h = await start({ securityFiles: { 'command-policy.json': denyRmRf } });
    const mark = h.head();
    const d = await h.call(PID.shim, 'privilege.request', requestParams({ argv: RM_RF }));
    expect(d).toEqual({ decision: 'denied', code: 'policy', exitCode: 3, requestId: null, reason: expect.stringContaining('deny[0]') });
    const events = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toEqual(['policy_block']);
    expect(events[0]!.data).toMatchObject({ rule: 'deny[0]', argv: RM_RF, decision: 'denied', code: 'policy' });
    // Other commands are untouched.
    expect((await h.call(PID.shim, 'privilege.request', requestParams({ argv: ['/usr/bin/rm', '/tmp/x'] }))).decision).toBe('approval_required');
  });

  it('a deny pattern written later takes effect on policy.reload', async () => {
    const h = await start();
    expect((await h.call(PID.shim, 'privilege.request', requestParams({ argv: RM_RF }))).decision).toBe('approval_required');
    h.writePolicy('command-policy.json', denyRmRf);
    const reloaded = await h.call(PID.human, 'policy.reload');
    expect(reloaded.files.find((f) => f.name === 'command-policy.json')).toMatchObject({ status: 'ok', inForce: true });
    expect(await h.call(PID.shim, 'privilege.request', requestParams({ argv: RM_RF }))).toMatchObject({ decision: 'denied', code: 'policy', exitCode: 3 });
  });

  it('an invalid regex + policy.reload: policy.check says invalid with file:line, and the old policy still denies', async () => {
    const h = await start({ securityFiles: { 'command-policy.json': denyRmRf } });
    const path = h.t.daemon.layout.policyFiles.commandPolicy;
    h.writePolicy('command-policy.json', '{\n  "deny": [\n    "(unclosed"\n  ]\n}\n');
    const reloaded = await h.call(PID.human, 'policy.reload');
    const checked = await h.call(PID.human, 'policy.check');
    for (const report of [reloaded, checked]) {
      expect(report.ok).toBe(false);
      const file = report.files.find((f) => f.name === 'command-policy.json')!;
      expect(file).toMatchObject({ status: 'invalid', inForce: true, path });
      expect(file.problem).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: deny\\[0\\]: `));
    }
    expect(h.events(0, ['policy.invalid']).at(-1)!.data).toMatchObject({ file: 'command-policy.json', trigger: 'reload', problem: expect.stringContaining(`${path}:3:`) });
    expect(await h.call(PID.shim, 'privilege.request', requestParams({ argv: RM_RF }))).toMatchObject({ decision: 'denied', code: 'policy', exitCode: 3, reason: expect.stringContaining('deny[0]') });
  });

  it.each([
    { name: 'the program is a shell (/usr/bin/bash)', argv: ['/usr/bin/bash'], env: [] as string[] },
    { name: 'the program runs code (/usr/bin/python3)', argv: ['/usr/bin/python3', '-c', 'print(1)'], env: [] as string[] },
    { name: 'an environment assignment loads code (LD_PRELOAD)', argv: ['/usr/bin/id'], env: ['LD_PRELOAD=/tmp/x.so'] },
  ])('deny_shells refuses a shell-capable command with code shell-denied, exit 3, when $name', async ({ argv, env }) => {
    const h = await start({ securityFiles: { 'command-policy.json': JSON.stringify({ deny_shells: true }) } });
    const mark = h.head();
    const d = await h.call(PID.shim, 'privilege.request', requestParams({ argv, envAssignments: env }));
    const events = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toEqual(['policy_block']);
    expect(events[0]!.data).toMatchObject({ rule: 'deny_shells', argv, decision: 'denied' });
    expect(d).toMatchObject({ decision: 'denied', exitCode: 3, requestId: null });
    expect(d).toMatchObject({ code: 'shell-denied' });
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Required session ids and policy files
// ---------------------------------------------------------------------------------------------

describe('required session id and policy files', () => {
  it.each([
    { name: 'the caller (requireSessionId)', opts: {}, params: { requireSessionId: true } },
    { name: 'ocsec.json (require_session_id)', opts: { config: { require_session_id: true } }, params: {} },
    { name: 'the daemon environment (OPENCLAW_REQUIRE_SESSION_ID=1)', opts: { env: { OPENCLAW_REQUIRE_SESSION_ID: '1' } }, params: {} },
  ])('a session id required by $name: refused without one (exit 6, session_id_missing), asked with one', async ({ opts, params }) => {
    const h = await start(opts);
    const mark = h.head();
    const d = await h.call(PID.shim, 'privilege.request', requestParams(params));
    expect(d).toEqual({ decision: 'denied', code: 'session-id-required', exitCode: 6, requestId: null, reason: expect.stringContaining('OPENCLAW_TASK_SESSION_ID') });
    const events = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toEqual(['session_id_missing']);
    expect(events[0]!.data).toMatchObject({ argv: ['/usr/bin/id'], session_id: null, code: 'session-id-required' });
    expect((await h.call(PID.shim, 'privilege.request', requestParams({ ...params, sessionId: 'task-1' }))).decision).toBe('approval_required');
  });

  it('policy files required but missing: refused with exit 7, listing exactly the missing files', async () => {
    const h = await start();
    const files = h.t.daemon.layout.policyFiles;
    const all = [files.approvedPorts, files.commandPolicy, files.egressAllowlist, files.promptPolicy];
    const cases: Array<{ present: string[]; missing: string[] }> = [
      { present: [], missing: all },
      { present: ['command-policy.json'], missing: [files.approvedPorts, files.egressAllowlist, files.promptPolicy] },
      { present: ['approved_ports.json', 'egress_allowlist.json'], missing: [files.promptPolicy] },
    ];
    for (const { present, missing } of cases) {
      for (const name of present) h.writePolicy(name, name === 'approved_ports.json' || name === 'egress_allowlist.json' ? '[]' : '{}');
      const mark = h.head();
      const d = await h.call(PID.shim, 'privilege.request', requestParams({ requirePolicyFiles: true }));
      expect(d).toEqual({ decision: 'denied', code: 'policy-files-missing', exitCode: 7, requestId: null, reason: `policy files are required but missing: ${missing.join(', ')}` });
      const events = h.events(mark, PRIVILEGE_ACTIONS);
      expect(actions(events)).toEqual(['policy_files_missing']);
      expect(events[0]!.data).toMatchObject({ missing, code: 'policy-files-missing' });
    }
    h.writePolicy('prompt-policy.json', '{}');
    expect((await h.call(PID.shim, 'privilege.request', requestParams({ requirePolicyFiles: true }))).decision).toBe('approval_required');
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Risk
// ---------------------------------------------------------------------------------------------

describe('risk', () => {
  it.each([
    { argv: ['/usr/bin/bash'], env: [] as string[], mode: 'command' as const, risk: 'shell', why: /bash is a shell/ },
    { argv: ['/usr/bin/id'], env: ['LD_PRELOAD=/tmp/x.so'], mode: 'command' as const, risk: 'shell', why: /LD_PRELOAD/ },
    { argv: ['/usr/bin/id'], env: ['PATH=/tmp/evil', 'LANG=C'], mode: 'command' as const, risk: 'shell', why: /passes PATH, LANG to the command/ },
    // Any environment handed to a root command can change what it loads (APT_CONFIG, OPENSSL_CONF...): no allowlist is complete.
    { argv: ['/usr/bin/id'], env: ['LANG=C'], mode: 'command' as const, risk: 'shell', why: /passes LANG to the command/ },
    { argv: ['/usr/bin/id'], env: [], mode: 'command' as const, risk: 'standard', why: null },
    { argv: ['/usr/bin/id'], env: [] as string[], mode: 'command' as const, risk: 'standard', why: null },
    { argv: ['/usr/bin/id'], env: [] as string[], mode: 'shell' as const, risk: 'shell', why: /sudo -s\/-i/ },
  ])('$argv with env $env (mode $mode) is risk $risk', async ({ argv, env, mode, risk, why }) => {
    const h = await start();
    const mark = h.head();
    const d = await ask(h, PID.shim, { argv, envAssignments: env, mode });
    expect(d.risk).toBe(risk);
    if (why === null) expect(d.riskWhy).toBeNull();
    else expect(d.riskWhy).toMatch(why);
    expect(h.events(mark, ['approval_requested'])[0]!.data).toMatchObject({ risk, risk_why: d.riskWhy, env_assignments: env });
  });

  it.each([
    { name: 'bash, keepSession asked', argv: ['/usr/bin/bash'], env: [] as string[], keepSession: true, policy: null },
    { name: 'id with LD_PRELOAD, keepSession asked', argv: ['/usr/bin/id'], env: ['LD_PRELOAD=/tmp/x.so'], keepSession: true, policy: null },
    { name: 'bash, keep_session in command-policy.json', argv: ['/usr/bin/bash'], env: [] as string[], keepSession: false, policy: JSON.stringify({ keep_session: true }) },
  ])('a shell-risk approval never creates a kept session ($name)', async ({ argv, env, keepSession, policy }) => {
    const h = await start(policy ? { securityFiles: { 'command-policy.json': policy } } : {});
    const mark = h.head();
    const { grantId } = await askAndApprove(h, { argv, envAssignments: env, sessionId: 'task-1' }, { keepSession });
    expect(h.events(mark, ['approval_granted'])[0]!.data).toMatchObject({ keep_session: false, risk: 'shell' });
    const { begun, finished } = await runGrant(h, PID.shim, grantId, true, argv);
    expect(begun).toMatchObject({ resetAfter: true, keepSession: false });
    expect(finished).toEqual({ sessionKept: false });
    expect((await h.call(PID.human, 'session.list')).sessions).toEqual([]);
    expect(actions(h.events(mark, PRIVILEGE_ACTIONS)).at(-1)).toBe('drop_elevation');
    expect((await h.call(PID.shim, 'privilege.request', requestParams({ argv, envAssignments: env, sessionId: 'task-1' }))).decision).toBe('approval_required');
  });
});

// ---------------------------------------------------------------------------------------------
// 8. and 9. Kept sessions and idle expiry
// ---------------------------------------------------------------------------------------------

describe('kept sessions and idle expiry (30 minutes)', () => {
  const X = ['/usr/bin/systemctl', 'restart', 'nginx'];
  const KEY = 'session:task-1:root';

  /** Approves X in task-1 with keepSession and runs it; the session's last activity is now. */
  async function keptSession(h: PrivilegeHarness) {
    const { grantId } = await askAndApprove(h, { argv: X, sessionId: 'task-1' }, { keepSession: true });
    const { begun, finished } = await runGrant(h, PID.shim, grantId, false, X);
    expect(begun).toMatchObject({ resetAfter: false, keepSession: true });
    expect(finished).toEqual({ sessionKept: true });
  }

  it('a kept session authorizes the same argv in the same task only, until 30 minutes after its last use', async () => {
    const h = await start();
    const mark = h.head();
    await keptSession(h);
    expect(actions(h.events(mark, PRIVILEGE_ACTIONS))).toEqual(['approval_requested', 'approval_granted', 'exec_start', 'exec_finish']);
    expect(h.events(mark, ['approval_granted'])[0]!.data).toMatchObject({ keep_session: true });
    const listed = await h.call(PID.human, 'session.list');
    expect(listed).toEqual({
      idleTimeoutSeconds: 1800,
      sessions: [{ key: KEY, sessionId: 'task-1', targetUser: 'root', approvedArgv: [['--', ...X]], createdAt: iso(WALL0), lastActivityAt: iso(WALL0), expiresAt: iso(WALL0 + 30 * MINUTE) }],
    });

    // The same argv in the same task: authorized at once, from any process, with no new request.
    let m = h.head();
    const again = await h.call(PID.shim2, 'privilege.request', requestParams({ argv: X, sessionId: 'task-1' }));
    expect(again).toEqual({ decision: 'authorized', grantId: expect.stringMatching(UUID), risk: 'standard', via: 'session' });
    const viaSession = h.events(m, PRIVILEGE_ACTIONS);
    expect(actions(viaSession)).toEqual(['approval_granted']);
    expect(viaSession[0]!.data).toMatchObject({ via: 'session', session_id: 'task-1', grant_id: authorized(again).grantId, argv: X });

    // Another argv in the session, or the same argv in another task, needs its own approval.
    for (const over of [{ argv: ['/usr/bin/systemctl', 'stop', 'nginx'], sessionId: 'task-1' }, { argv: X, sessionId: 'task-2' }]) {
      m = h.head();
      const d = await ask(h, PID.shim2, over);
      expect(actions(h.events(m, PRIVILEGE_ACTIONS))).toEqual(['approval_requested']);
      await h.call(PID.human, 'privilege.deny', { requestId: d.requestId, channel: 'cli' });
    }

    // 29:59 later: still authorized, and running it extends the session.
    await h.advance(29 * MINUTE + 59_000);
    const late = authorized(await h.call(PID.shim2, 'privilege.request', requestParams({ argv: X, sessionId: 'task-1' })));
    const { begun, finished } = await runGrant(h, PID.shim2, late.grantId, false, X);
    expect(begun).toMatchObject({ resetAfter: false, keepSession: true });
    expect(finished).toEqual({ sessionKept: true });
    const lastActivity = WALL0 + 29 * MINUTE + 59_000;
    expect((await h.call(PID.human, 'session.list')).sessions).toMatchObject([{ key: KEY, lastActivityAt: iso(lastActivity), expiresAt: iso(lastActivity + 30 * MINUTE) }]);

    // Exactly 30 minutes idle: alive at 30 min - 1 ms, gone at 30 min.
    m = h.head();
    await h.advance(30 * MINUTE - 1);
    expect((await h.call(PID.human, 'session.list')).sessions.map((s) => s.key)).toEqual([KEY]);
    expect(h.resets).toEqual([]);
    expect(h.events(m, ['timeout_drop'])).toEqual([]);
    await h.advance(1);
    expect((await h.call(PID.human, 'session.list')).sessions).toEqual([]);
    const dropped = h.events(m, PRIVILEGE_ACTIONS);
    expect(actions(dropped)).toEqual(['timeout_drop', 'sudo_reset']);
    expect(dropped[0]!.subject).toBe(`session:${KEY}`);
    expect(dropped[0]!.data).toMatchObject({ session_id: 'task-1', last_activity_at: iso(lastActivity), reason: 'idle for 30 minutes' });
    expect(dropped[0]!.actor_pid).toBe(process.pid);
    expect(dropped[1]!.data).toMatchObject({ command: 'sudo -K', ok: true, detail: 'test', cause: 'timeout_drop' });
    expect(h.resets).toEqual([iso(lastActivity + 30 * MINUTE)]);

    // Afterwards the argv needs approval again.
    expect((await h.call(PID.shim2, 'privilege.request', requestParams({ argv: X, sessionId: 'task-1' }))).decision).toBe('approval_required');
  });

  it('without a session id, a session is keyed by the controlling terminal and session of the requester', async () => {
    const h = await start();
    const { grantId } = await askAndApprove(h, { argv: X }, { keepSession: true });
    await runGrant(h, PID.shim, grantId, false, X);
    expect((await h.call(PID.human, 'session.list')).sessions.map((s) => s.key)).toEqual([`tty:34816:${PID.agent}:root`]);
    // Same terminal and kernel session: authorized. Another terminal, or another target user: asked.
    expect((await h.call(PID.shim2, 'privilege.request', requestParams({ argv: X }))).decision).toBe('authorized');
    expect((await h.call(PID.human, 'privilege.request', requestParams({ argv: X }))).decision).toBe('approval_required');
    expect((await h.call(PID.shim2, 'privilege.request', requestParams({ argv: X, targetUser: 'postgres' }))).decision).toBe('approval_required');
  });

  it('the audit names the kept session that authorized a command (its key is not redacted as a secret)', async () => {
    const h = await start();
    const { grantId } = await askAndApprove(h, { argv: X }, { keepSession: true });
    await runGrant(h, PID.shim, grantId, false, X);
    const key = `tty:34816:${PID.agent}:root`;
    const mark = h.head();
    const d = authorized(await h.call(PID.shim2, 'privilege.request', requestParams({ argv: X })));
    await runGrant(h, PID.shim2, d.grantId, false, X);
    // A tty-keyed session has no session id: its key is the only record of which session was used.
    const events = h.events(mark, ['approval_granted', 'exec_start']);
    expect(events.map((e) => [e.action, e.data.session_id ?? null, e.data.elevation_session])).toEqual([
      ['approval_granted', null, key],
      ['exec_start', null, key],
    ]);
  });

  it('a requester with neither a session id nor a controlling terminal gets no kept session', async () => {
    const h = await start();
    const d = await ask(h, PID.background, { argv: X, interactive: false, allowNonInteractive: true, tty: null });
    await h.call(PID.human, 'privilege.approve', { requestId: d.requestId, channel: 'cli', keepSession: true });
    const { grantId } = await h.call(PID.background, 'privilege.wait', { requestId: d.requestId, waitMs: 0 });
    expect((await runGrant(h, PID.background, grantId!, true, X)).begun).toMatchObject({ resetAfter: true, keepSession: false });
    expect((await h.call(PID.human, 'session.list')).sessions).toEqual([]);
  });

  it('session.drop ends a session at once, audited as drop_elevation, and runs sudo -K', async () => {
    const h = await start();
    await keptSession(h);
    const mark = h.head();
    expect(await h.call(PID.human, 'session.drop', { key: KEY })).toEqual({ dropped: true });
    expect((await h.call(PID.human, 'session.list')).sessions).toEqual([]);
    const events = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toEqual(['drop_elevation', 'sudo_reset']);
    expect(events[0]!).toMatchObject({ actor_pid: PID.human, subject: `session:${KEY}`, data: { session_id: 'task-1', reason: 'dropped by hand' } });
    expect(h.resets).toHaveLength(1);
    expect((await h.error(PID.human, 'session.drop', { key: KEY })).code).toBe(codeOf('SessionNotFound'));
    // Its timer was cancelled: nothing more happens at the old deadline.
    await h.advance(31 * MINUTE);
    expect(h.resets).toHaveLength(1);
  });

  it('a session grant begun after its session was dropped does not skip the credential reset', async () => {
    const h = await start();
    await keptSession(h);
    await h.advance(30 * MINUTE - 1);
    const grant = authorized(await h.call(PID.shim, 'privilege.request', requestParams({ argv: X, sessionId: 'task-1' })));
    await h.advance(1); // the idle timer drops the session (and runs sudo -K) before the shim begins
    expect((await h.call(PID.human, 'session.list')).sessions).toEqual([]);
    expect(h.resets).toHaveLength(1);

    let begun: { resetAfter: boolean; keepSession: boolean } | 'refused';
    try {
      begun = await h.call(PID.shim, 'privilege.begin', { grantId: grant.grantId, realSudo: '/usr/bin/sudo' });
    } catch (err) {
      expect((err as { code: number }).code).toBe(codeOf('GrantInvalid'));
      begun = 'refused';
    }
    // Either the grant died with its session, or the shim must drop sudo's cache after the command:
    // there is no session left to keep it, and nothing else will ever run sudo -K for it.
    if (begun !== 'refused') expect(begun).toMatchObject({ resetAfter: true, keepSession: false });
  });

  it('setting the wall clock back does not extend a session: it expires 30 min of monotonic time after the last activity', async () => {
    const h = await start();
    await keptSession(h);
    await h.advance(10 * MINUTE);
    h.clock.setWall(h.clock.now() - 60 * MINUTE);
    await h.advance(20 * MINUTE - 1);
    const listed = (await h.call(PID.human, 'session.list')).sessions;
    expect(listed).toMatchObject([{ key: KEY, expiresAt: iso(WALL0 + 30 * MINUTE) }]);
    expect((await h.call(PID.shim2, 'privilege.request', requestParams({ argv: X, sessionId: 'task-1' }))).decision).toBe('authorized');
    const mark = h.head();
    await h.advance(1);
    expect((await h.call(PID.human, 'session.list')).sessions).toEqual([]);
    expect(actions(h.events(mark, PRIVILEGE_ACTIONS))).toEqual(['timeout_drop', 'sudo_reset']);
    expect(h.resets).toHaveLength(1);
    expect((await h.call(PID.shim2, 'privilege.request', requestParams({ argv: X, sessionId: 'task-1' }))).decision).toBe('approval_required');
  });
});

// ---------------------------------------------------------------------------------------------
// 10. Restarts
// ---------------------------------------------------------------------------------------------

describe('restart', () => {
  const X = ['/usr/bin/systemctl', 'restart', 'nginx'];
  const KEY = 'session:task-1:root';

  it('after expiry: the session is dropped at startup; pending requests expire; unused grants lapse; running ones are recorded unfinished', async () => {
    const a = await start();
    // A kept session (last activity at WALL0).
    const kept = await askAndApprove(a, { argv: X, sessionId: 'task-1' }, { keepSession: true });
    await runGrant(a, PID.shim, kept.grantId, false, X);
    // A pending request, an approved-but-unused grant, and a begun-but-unfinished grant.
    const pending = await ask(a, PID.shim, { argv: ['/usr/bin/apt', 'update'] });
    const unused = await askAndApprove(a, { argv: ['/usr/bin/journalctl', '-u', 'nginx'] });
    const running = await askAndApprove(a, { argv: ['/usr/bin/apt', 'upgrade', '-y'] });
    await a.call(PID.shim, 'privilege.begin', { grantId: running.grantId, realSudo: '/usr/bin/sudo' });
    const mark = a.head();

    const b = await restart(a, { wallMs: WALL0 + 31 * MINUTE });
    const events = b.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toEqual(['approval_expired', 'grant_expired', 'exec_unfinished', 'timeout_drop', 'sudo_reset']);
    const [expired, lapsed, unfinished, timeout, reset] = events as [AuditEvent, AuditEvent, AuditEvent, AuditEvent, AuditEvent];
    expect(expired.data).toMatchObject({ request_id: pending.requestId, argv: ['/usr/bin/apt', 'update'], reason: expect.stringMatching(/^ocsecd restarted/) });
    expect(lapsed.data).toMatchObject({ grant_id: unused.grantId, argv: ['/usr/bin/journalctl', '-u', 'nginx'] });
    expect(unfinished.data).toMatchObject({ grant_id: running.grantId, argv: ['/usr/bin/apt', 'upgrade', '-y'] });
    expect(timeout.subject).toBe(`session:${KEY}`);
    expect(timeout.data).toMatchObject({ session_id: 'task-1', expired_at: iso(WALL0 + 30 * MINUTE), at_startup: true });
    expect(reset.data).toMatchObject({ cause: 'timeout_drop', ok: true });
    expect(b.resets).toEqual([iso(WALL0 + 31 * MINUTE)]);

    expect((await b.call(PID.human, 'session.list')).sessions).toEqual([]);
    expect(await b.call(PID.shim, 'privilege.wait', { requestId: pending.requestId, waitMs: 0 })).toMatchObject({ state: 'expired', reason: expect.stringMatching(/^ocsecd restarted/) });
    expect((await b.error(PID.shim, 'privilege.approve', { requestId: pending.requestId, channel: 'tty' })).code).toBe(codeOf('RequestNotPending'));
    expect((await b.error(PID.shim, 'privilege.begin', { grantId: unused.grantId, realSudo: '/usr/bin/sudo' })).code).toBe(codeOf('GrantInvalid'));
    expect((await b.error(PID.shim, 'privilege.finish', { grantId: running.grantId, exitCode: 0, signal: null, durationMs: 1, credentialReset: null })).code).toBe(codeOf('GrantInvalid'));
    expect((await b.call(PID.shim2, 'privilege.request', requestParams({ argv: X, sessionId: 'task-1' }))).decision).toBe('approval_required');
  });

  it('before expiry: the session survives but keeps only the time it had left (expires_at - now)', async () => {
    const a = await start();
    const kept = await askAndApprove(a, { argv: X, sessionId: 'task-1' }, { keepSession: true });
    await runGrant(a, PID.shim, kept.grantId, false, X);
    await a.advance(10 * MINUTE);
    const mark = a.head();

    const b = await restart(a, { wallMs: WALL0 + 10 * MINUTE });
    expect(b.events(mark, PRIVILEGE_ACTIONS)).toEqual([]);
    expect((await b.call(PID.human, 'session.list')).sessions).toMatchObject([{ key: KEY, lastActivityAt: iso(WALL0), expiresAt: iso(WALL0 + 30 * MINUTE) }]);
    expect((await b.call(PID.shim2, 'privilege.request', requestParams({ argv: X, sessionId: 'task-1' }))).decision).toBe('authorized');

    await b.advance(20 * MINUTE - 1);
    expect((await b.call(PID.human, 'session.list')).sessions.map((s) => s.key)).toEqual([KEY]);
    expect(b.resets).toEqual([]);
    await b.advance(1);
    expect((await b.call(PID.human, 'session.list')).sessions).toEqual([]);
    const events = b.events(mark, PRIVILEGE_ACTIONS).filter((e) => e.action !== 'approval_granted');
    expect(actions(events)).toEqual(['timeout_drop', 'sudo_reset']);
    expect(events[0]!.subject).toBe(`session:${KEY}`);
    expect(events[0]!.data.at_startup).toBeUndefined();
    expect(b.resets).toEqual([iso(WALL0 + 30 * MINUTE)]);
  });

  it('a wall clock set back across a restart still never gives a session more than the idle timeout', async () => {
    const a = await start();
    const kept = await askAndApprove(a, { argv: X, sessionId: 'task-1' }, { keepSession: true });
    await runGrant(a, PID.shim, kept.grantId, false, X);
    const b = await restart(a, { wallMs: WALL0 - 5 * 60 * MINUTE });
    await b.advance(30 * MINUTE - 1);
    expect((await b.call(PID.human, 'session.list')).sessions.map((s) => s.key)).toEqual([KEY]);
    await b.advance(1);
    expect((await b.call(PID.human, 'session.list')).sessions).toEqual([]);
    expect(b.resets).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// 11. Approval timeout
// ---------------------------------------------------------------------------------------------

describe('approval requests expire (approval_timeout_seconds, default 120)', () => {
  it('pending at 120 s - 1 ms; at 120 s approval_expired is audited, and a later approval is RequestNotPending', async () => {
    const h = await start();
    const { requestId } = await ask(h, PID.shim);
    await h.advance(120_000 - 1);
    expect((await h.call(PID.human, 'privilege.pending')).requests.map((r) => r.id)).toEqual([requestId]);
    const mark = h.head();
    await h.advance(1);
    const events = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toEqual(['approval_expired']);
    expect(events[0]!.data).toMatchObject({ request_id: requestId, argv: ['/usr/bin/id'], reason: 'no decision before it expired' });
    expect((await h.call(PID.human, 'privilege.pending')).requests).toEqual([]);

    const err = await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty' });
    expect(err.code).toBe(codeOf('RequestNotPending'));
    expect(err.message).toMatch(/expired/);
    expect(await h.call(PID.shim, 'privilege.wait', { requestId, waitMs: 0 })).toEqual({ requestId, state: 'expired', grantId: null, reason: 'no decision in time' });
    expect(h.events(mark, PRIVILEGE_ACTIONS)).toHaveLength(1);
  });

  it('a parked wait is woken by the expiry', async () => {
    const h = await start();
    const { requestId } = await ask(h, PID.shim, { interactive: false, allowNonInteractive: true });
    await h.advance(100_000);
    const parked = await h.parkedWait(PID.shim, requestId, 25_000);
    await h.advance(20_000);
    expect(await parked.result).toEqual({ requestId, state: 'expired', grantId: null, reason: 'no decision in time' });
  });

  it('approval_timeout_seconds from ocsec.json sets the deadline', async () => {
    const h = await start({ config: { approval_timeout_seconds: 30 } });
    const d = await ask(h, PID.shim);
    expect(d.expiresAt).toBe(iso(WALL0 + 30_000));
    await h.advance(30_000);
    expect(actions(h.events(0, PRIVILEGE_ACTIONS))).toEqual(['approval_requested', 'approval_expired']);
  });
});

// ---------------------------------------------------------------------------------------------
// 12. Approval factors
// ---------------------------------------------------------------------------------------------

describe('approval factors', () => {
  const TOKEN = 'correct horse battery';

  it('token: wrong → FactorInvalid; 5 wrong → FactorLocked; locked refuses the right token; after the lockout the right token approves', async () => {
    const h = await start();
    expect(await h.call(PID.human, 'factors.token.set', { token: TOKEN })).toEqual({ ok: true });
    expect(await h.call(PID.human, 'factors.status')).toMatchObject({ token: true, tokenFromEnv: false, totp: false, lockedUntil: null, failures: 0 });
    expect(h.events(0, ['approval_factor_changed']).map((e) => e.data)).toEqual([{ factor: 'token', change: 'set' }]);

    const { requestId, factors } = await ask(h, PID.shim);
    expect(factors).toEqual(['confirm', 'token']);

    const mark = h.head();
    const missing = await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty' });
    expect(missing.code).toBe(codeOf('FactorInvalid'));
    expect(missing.message).toMatch(/required/);
    for (let i = 2; i <= 4; i++) {
      const err = await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: `wrong horse ${i}` });
      expect(err.code).toBe(codeOf('FactorInvalid'));
    }
    const locked = await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: 'wrong horse 5' });
    expect(locked.code).toBe(codeOf('FactorLocked'));
    const lockedUntil = iso(WALL0 + 60_000);
    expect(locked.message).toContain(lockedUntil);

    const failed = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(failed)).toEqual([...Array(5).fill('approval_token_failed'), 'approval_lockout']);
    expect(failed.slice(0, 5).map((e) => e.data.failures)).toEqual([1, 2, 3, 4, 5]);
    expect(failed.slice(0, 5).map((e) => e.data.missing)).toEqual([true, false, false, false, false]);
    expect(failed[5]!.data).toMatchObject({ request_id: requestId, locked_until: lockedUntil });
    expect(await h.call(PID.human, 'factors.status')).toMatchObject({ lockedUntil });

    // Locked: even the right token is refused (and that is audited), until 60 s have passed.
    let m = h.head();
    expect((await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: TOKEN })).code).toBe(codeOf('FactorLocked'));
    await h.advance(60_000 - 1);
    expect((await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: TOKEN })).code).toBe(codeOf('FactorLocked'));
    expect(actions(h.events(m, PRIVILEGE_ACTIONS))).toEqual(['approval_locked_out', 'approval_locked_out']);
    expect((await h.call(PID.shim, 'privilege.wait', { requestId, waitMs: 0 })).state).toBe('pending');

    await h.advance(1);
    m = h.head();
    const approved = await h.call(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: TOKEN });
    expect(approved).toMatchObject({ requestId, state: 'approved', grantId: expect.stringMatching(UUID) });
    expect(actions(h.events(m, PRIVILEGE_ACTIONS))).toEqual(['approval_token_ok', 'approval_granted']);
    expect(await h.call(PID.human, 'factors.status')).toMatchObject({ lockedUntil: null, failures: 0 });
  });

  it('a token is never recorded: neither the stored hash nor the presented values appear in the audit trail', async () => {
    const h = await start();
    await h.call(PID.human, 'factors.token.set', { token: TOKEN });
    const { requestId } = await ask(h, PID.shim);
    await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: 'a wrong guess 123' });
    await h.call(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: TOKEN });
    const trail = JSON.stringify(h.events(0));
    expect(trail).not.toContain(TOKEN);
    expect(trail).not.toContain('a wrong guess 123');
    expect(trail).not.toContain('scrypt$');
  });

  it('replacing or clearing the token needs the current one', async () => {
    const h = await start();
    await h.call(PID.human, 'factors.token.set', { token: TOKEN });
    const cases: Array<{ name: string; call: () => Promise<unknown> }> = [
      { name: 'replace without current', call: () => h.error(PID.human, 'factors.token.set', { token: 'a brand new token' }) },
      { name: 'replace with a wrong current', call: () => h.error(PID.human, 'factors.token.set', { token: 'a brand new token', current: 'not the token' }) },
      { name: 'clear with a wrong current', call: () => h.error(PID.human, 'factors.token.clear', { current: 'not the token' }) },
      { name: 'enroll TOTP without current', call: () => h.error(PID.human, 'factors.totp.enroll', {}) },
    ];
    for (const c of cases) {
      const err = (await c.call()) as { code: number };
      expect(err.code, c.name).toBe(codeOf('FactorInvalid'));
    }
    expect(await h.call(PID.human, 'factors.status')).toMatchObject({ token: true, totpPending: false, failures: 4 });
    expect(h.events(0, ['approval_factor_changed'])).toHaveLength(1);

    // With the current token: replaced, and only the new one approves.
    expect(await h.call(PID.human, 'factors.token.set', { token: 'a brand new token', current: TOKEN })).toEqual({ ok: true });
    const { requestId } = await ask(h, PID.shim);
    expect((await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: TOKEN })).code).toBe(codeOf('FactorInvalid'));
    expect((await h.call(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: 'a brand new token' })).state).toBe('approved');
    // And cleared with it: approvals are back to confirm only.
    expect(await h.call(PID.human, 'factors.token.clear', { current: 'a brand new token' })).toEqual({ ok: true });
    expect((await ask(h, PID.shim)).factors).toEqual(['confirm']);
    expect(h.events(0, ['approval_factor_changed']).map((e) => e.data.change)).toEqual(['set', 'set', 'cleared']);
  });

  it('OPENCLAW_APPROVAL_TOKEN in the daemon environment is a token factor while none is stored', async () => {
    const h = await start({ env: { OPENCLAW_APPROVAL_TOKEN: 'token from the environment' } });
    expect(await h.call(PID.human, 'factors.status')).toMatchObject({ token: true, tokenFromEnv: true });
    const { requestId, factors } = await ask(h, PID.shim);
    expect(factors).toEqual(['confirm', 'token']);
    expect((await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: 'token from the environmenT' })).code).toBe(codeOf('FactorInvalid'));
    expect((await h.call(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: 'token from the environment' })).state).toBe('approved');
  });

  describe('TOTP', () => {
    const totpOf = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
    /** A 6-digit code that is not valid at `now` (nor one period either side). */
    function wrongCode(secret: string, now: number): string {
      const valid = new Set([-1, 0, 1].map((k) => totpOf(secret).generate({ timestamp: now + k * 30_000 })));
      for (let i = 0; ; i++) {
        const code = String(i).padStart(6, '0');
        if (!valid.has(code)) return code;
      }
    }

    it('enroll returns an otpauth URI and secret; confirm with a current code activates it; approve accepts a valid code only', async () => {
      const h = await start();
      const { uri, secret } = await h.call(PID.human, 'factors.totp.enroll', {});
      expect(uri).toMatch(/^otpauth:\/\/totp\//);
      expect(uri).toContain(`secret=${secret}`);
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(await h.call(PID.human, 'factors.status')).toMatchObject({ totp: false, totpPending: true });

      // Not active until confirmed; a wrong code does not confirm it.
      expect((await ask(h, PID.shim)).factors).toEqual(['confirm']);
      expect((await h.error(PID.human, 'factors.totp.confirm', { code: wrongCode(secret, h.clock.now()) })).code).toBe(codeOf('FactorInvalid'));
      expect(await h.call(PID.human, 'factors.status')).toMatchObject({ totp: false, totpPending: true });

      expect(await h.call(PID.human, 'factors.totp.confirm', { code: totpOf(secret).generate({ timestamp: h.clock.now() }) })).toEqual({ ok: true });
      expect(await h.call(PID.human, 'factors.status')).toMatchObject({ totp: true, totpPending: false });
      expect(h.events(0, ['approval_factor_changed']).map((e) => e.data.change)).toEqual(['enrollment-started', 'enrolled']);

      await h.advance(5 * MINUTE);
      const { requestId, factors } = await ask(h, PID.shim);
      expect(factors).toEqual(['confirm', 'totp']);
      expect((await h.error(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: wrongCode(secret, h.clock.now()) })).code).toBe(codeOf('FactorInvalid'));
      const mark = h.head();
      const approved = await h.call(PID.shim, 'privilege.approve', { requestId, channel: 'tty', factor: totpOf(secret).generate({ timestamp: h.clock.now() }) });
      expect(approved.state).toBe('approved');
      expect(actions(h.events(mark, PRIVILEGE_ACTIONS))).toEqual(['approval_token_ok', 'approval_granted']);
    });

    it('confirm without a pending enrollment is RequestNotFound', async () => {
      const h = await start();
      expect((await h.error(PID.human, 'factors.totp.confirm', { code: '123456' })).code).toBe(codeOf('RequestNotFound'));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 13. Untrusted sources
// ---------------------------------------------------------------------------------------------

describe('untrusted sources (no prompt-policy.json: confirmation required)', () => {
  it('approving without untrustedConfirmed is UntrustedNotConfirmed and denies the request (untrusted_source_block)', async () => {
    const h = await start();
    const d = await ask(h, PID.shim, { untrustedSource: true });
    expect(d.untrustedConfirmation).toBe(true);
    const mark = h.head();
    for (const untrustedConfirmed of [undefined, false]) {
      const again = untrustedConfirmed === undefined ? d : await ask(h, PID.shim, { untrustedSource: true });
      const err = await h.error(PID.shim, 'privilege.approve', { requestId: again.requestId, channel: 'tty', ...(untrustedConfirmed === undefined ? {} : { untrustedConfirmed }) });
      expect(err.code).toBe(codeOf('UntrustedNotConfirmed'));
      expect(await h.call(PID.shim, 'privilege.wait', { requestId: again.requestId, waitMs: 0 })).toEqual({ requestId: again.requestId, state: 'denied', grantId: null, reason: 'untrusted source not confirmed' });
      expect((await h.error(PID.shim, 'privilege.approve', { requestId: again.requestId, channel: 'tty', untrustedConfirmed: true })).code).toBe(codeOf('RequestNotPending'));
    }
    const events = h.events(mark, PRIVILEGE_ACTIONS).filter((e) => e.action !== 'approval_requested');
    expect(actions(events)).toEqual(['untrusted_source_block', 'untrusted_source_block']);
    expect(events[0]!.data).toMatchObject({ request_id: d.requestId, argv: ['/usr/bin/id'] });
  });

  it('approving with untrustedConfirmed:true approves, audited as untrusted_source_confirmed', async () => {
    const h = await start();
    const d = await ask(h, PID.shim, { untrustedSource: true });
    const mark = h.head();
    const approved = await h.call(PID.shim, 'privilege.approve', { requestId: d.requestId, channel: 'tty', untrustedConfirmed: true });
    expect(approved.state).toBe('approved');
    const events = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toEqual(['untrusted_source_confirmed', 'approval_granted']);
    expect(events[0]!.data).toMatchObject({ request_id: d.requestId, argv: ['/usr/bin/id'], channel: 'tty' });
    expect(h.events(0, ['approval_requested'])[0]!.data).toMatchObject({ untrusted: true });
  });

  it('with prompt-policy.json require_confirmation_for_untrusted false, nothing is asked and no confirmation is recorded', async () => {
    const h = await start({ securityFiles: { 'prompt-policy.json': JSON.stringify({ require_confirmation_for_untrusted: false }) } });
    const d = await ask(h, PID.shim, { untrustedSource: true });
    expect(d.untrustedConfirmation).toBe(false);
    const mark = h.head();
    expect((await h.call(PID.shim, 'privilege.approve', { requestId: d.requestId, channel: 'tty' })).state).toBe('approved');
    const events = h.events(mark, PRIVILEGE_ACTIONS);
    expect(actions(events)).toContain('approval_granted');
    // Nobody confirmed anything: the trail must not say a person did.
    expect(actions(events)).not.toContain('untrusted_source_confirmed');
  });
});

// ---------------------------------------------------------------------------------------------
// 14. What needs no approval, and what the shim could not run
// ---------------------------------------------------------------------------------------------

describe('privilege.passthrough and privilege.refuse', () => {
  it('passthrough is audited as sudo_passthrough with argv and cwd', async () => {
    const h = await start();
    const mark = h.head();
    expect(await h.call(PID.shim, 'privilege.passthrough', { argv: ['sudo', '-k'], cwd: '/home/agent' })).toEqual({ ok: true });
    const events = h.events(mark);
    expect(events.map((e) => [e.action, e.actor_pid, e.subject, e.data])).toEqual([['sudo_passthrough', PID.shim, 'sudo', { argv: ['sudo', '-k'], cwd: '/home/agent' }]]);
  });

  it.each([
    { code: 'command-not-found' as const, action: 'command_invalid', message: 'sudo: frobnicate: command not found' },
    { code: 'invalid-command' as const, action: 'command_invalid', message: 'command path must be absolute' },
    { code: 'usage' as const, action: 'command_invalid', message: 'sudo: option requires an argument -- u' },
    { code: 'invalid-real-sudo' as const, action: 'sudo_binary_invalid', message: '/usr/bin/sudo is not owned by root' },
  ])('refuse with code $code is audited as $action with the error message', async ({ code, action, message }) => {
    const h = await start();
    const mark = h.head();
    const argv = ['sudo', 'frobnicate', '--now'];
    expect(await h.call(PID.shim, 'privilege.refuse', { argv, cwd: '/srv', code, message })).toEqual({ ok: true });
    const events = h.events(mark);
    expect(events.map((e) => [e.action, e.actor_pid, e.subject])).toEqual([[action, PID.shim, 'sudo']]);
    expect(events[0]!.data).toEqual({ argv, cwd: '/srv', code, error: message });
  });
});

describe('review fixes', () => {
  const X = ['/usr/bin/systemctl', 'restart', 'nginx'];
  it('a TOTP code approves once: replaying the same code is refused', async () => {
    const h = await start();
    const clock = h.clock;
    const { secret } = await h.call(PID.human, 'factors.totp.enroll', {});
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
    await h.call(PID.human, 'factors.totp.confirm', { code: totp.generate({ timestamp: clock.now() }) });
    clock.advance(30_000); // the confirmation spent the current step
    const code = totp.generate({ timestamp: clock.now() });
    const first = await ask(h, PID.shim, { argv: X });
    await h.call(PID.shim, 'privilege.approve', { requestId: first.requestId, channel: 'tty', factor: code });
    const second = await ask(h, PID.shim2, { argv: X });
    expect((await h.error(PID.shim2, 'privilege.approve', { requestId: second.requestId, channel: 'tty', factor: code })).code).toBe(codeOf('FactorInvalid'));
    // The next period's code still works.
    clock.advance(30_000);
    expect((await h.call(PID.shim2, 'privilege.approve', { requestId: second.requestId, channel: 'tty', factor: totp.generate({ timestamp: clock.now() }) })).state).toBe('approved');
  });

  it('an untrusted request never rides a kept session', async () => {
    const h = await start();
    const { grantId } = await askAndApprove(h, { argv: X }, { keepSession: true });
    await runGrant(h, PID.shim, grantId, false, X);
    const d = await h.call(PID.shim2, 'privilege.request', requestParams({ argv: X, untrustedSource: true }));
    expect(d.decision).toBe('approval_required');
  });
});

describe('the approval is bound to the exact sudo arguments', () => {
  it('rejects sudo arguments that do not end in -- and exactly argv', async () => {
    const h = await start();
    const bad = await h.error(PID.shim, 'privilege.request', requestParams({ argv: ['/usr/bin/id'], sudoArgv: ['--', '/usr/bin/rm', '-rf', '/'] }));
    expect(bad.code).toBe(codeOf('InvalidParams'));
    const smuggled = await h.error(PID.shim, 'privilege.request', requestParams({ argv: ['/usr/bin/id'], sudoArgv: ['--', '/usr/bin/sh', '--', '/usr/bin/id'] }));
    expect(smuggled.code).toBe(codeOf('InvalidParams'));
  });

  it('begin hands back the approved arguments (options and environment included) and audits them', async () => {
    const h = await start();
    const sudoArgv = ['-u', 'root', '-E', 'DEBIAN_FRONTEND=noninteractive', '--', '/usr/bin/id'];
    const d = await ask(h, PID.shim, { argv: ['/usr/bin/id'], sudoArgv, envAssignments: ['DEBIAN_FRONTEND=noninteractive'], preserveEnv: true });
    expect(d.risk).toBe('shell'); // environment reaches the command
    expect((await h.call(PID.human, 'privilege.pending')).requests[0]!.sudoArgv).toEqual(sudoArgv);
    const { grantId } = await h.call(PID.shim, 'privilege.approve', { requestId: d.requestId, channel: 'tty' });
    const begun = await h.call(PID.shim, 'privilege.begin', { grantId: grantId!, realSudo: '/usr/bin/sudo' });
    expect(begun.sudoArgv).toEqual(sudoArgv);
  });

  it('begin refuses a "real sudo" that is not a root-owned, protected binary', async () => {
    const h = await start();
    const { grantId } = await askAndApprove(h);
    const err = await h.error(PID.shim, 'privilege.begin', { grantId, realSudo: '/tmp' });
    expect(err.code).toBe(codeOf('GrantInvalid'));
  });
});

describe('programs a non-root user can change', () => {
  it('a script the agent owns is shell risk (approved each time, never kept), a root-owned binary is not', async () => {
    const { mkdtempSync, writeFileSync, chownSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/ocsec-prog-');
    const script = `${dir}/deploy.sh`;
    writeFileSync(script, '#!/bin/sh\necho deploy\n', { mode: 0o755 });
    chownSync(script, 65534, 65534); // owned by someone other than root, as an agent's own file would be
    const h = await start();
    const mutable = await ask(h, PID.shim, { argv: [script] });
    expect(mutable.risk).toBe('shell');
    expect(mutable.riskWhy).toContain('can be changed after it is approved');
    expect((await ask(h, PID.shim2, { argv: ['/usr/bin/id'] })).risk).toBe('standard');
  });
});
