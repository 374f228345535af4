// Privilege-test helpers: an in-memory process table, and an in-process daemon on a ManualClock whose caller pid each call chooses.
import { expect } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEvent, ErrorCodeName, MethodName, ParamsOf, PrivilegeRequestParams, ResultOf } from '../../client/protocol.js';
import { ErrorCode } from '../../client/protocol.js';
import { DaemonRpcError, OcsecClient } from '../../client/rpc-client.js';
import { ManualClock } from '../../daemon/clock.js';
import { configSchema } from '../../daemon/config.js';
import type { ProcessInfo, ProcessInspector } from '../../daemon/procinfo.js';
import { startTestDaemon, tempStateDir, type TestDaemon } from './daemon.js';
import { flushPromises } from './tmp.js';

/** A process table the test controls: pid → ProcessInfo. */
export class FakeProcs implements ProcessInspector {
  readonly table = new Map<number, ProcessInfo>();

  add(pid: number, ppid: number, opts: { comm?: string | null; tty?: { ttyNr: number; sid: number } | null } = {}): this {
    const tty = opts.tty ?? null;
    this.table.set(pid, { pid, ppid, comm: opts.comm ?? `proc${pid}`, hasTty: tty !== null, ttyNr: tty ? tty.ttyNr : 0, sid: tty ? tty.sid : pid });
    return this;
  }

  read(pid: number): ProcessInfo | null {
    const info = this.table.get(pid);
    return info ? { ...info } : null;
  }
}

/** The cast of processes every privilege test uses. */
export const PID = {
  gateway: 1000,
  /** The agent's shell: the requester's parent. */
  agent: 4000,
  /** The sudo shim that makes requests. */
  shim: 5000,
  /** A second shim under the same agent. */
  shim2: 5001,
  /** A person's shell and the ocsecctl run from it: independent, at a terminal. */
  humanShell: 6000,
  human: 7000,
  /** ocsecctl started by the agent (a child of the requester's parent), and a grandchild of that. */
  agentChild: 7100,
  agentGrandchild: 7200,
  /** ocsecctl from a background job: independent, no terminal. */
  background: 7300,
} as const;

export const AGENT_TTY = { ttyNr: 34816, sid: PID.agent };
export const HUMAN_TTY = { ttyNr: 34817, sid: PID.humanShell };

export function standardProcs(): FakeProcs {
  return new FakeProcs()
    .add(1, 0, { comm: 'systemd' })
    .add(PID.gateway, 1, { comm: 'openclaw-gateway' })
    .add(PID.agent, PID.gateway, { comm: 'node', tty: AGENT_TTY })
    .add(PID.shim, PID.agent, { comm: 'ocsec-sudo', tty: AGENT_TTY })
    .add(PID.shim2, PID.agent, { comm: 'ocsec-sudo', tty: AGENT_TTY })
    .add(PID.humanShell, 1, { comm: 'bash', tty: HUMAN_TTY })
    .add(PID.human, PID.humanShell, { comm: 'ocsecctl', tty: HUMAN_TTY })
    .add(PID.agentChild, PID.agent, { comm: 'ocsecctl', tty: AGENT_TTY })
    .add(PID.agentGrandchild, PID.agentChild, { comm: 'ocsecctl', tty: AGENT_TTY })
    .add(PID.background, 1, { comm: 'ocsecctl' });
}

/** A complete privilege.request params object: an interactive caller asking to run argv as root. */
export function requestParams(over: Partial<PrivilegeRequestParams> = {}): PrivilegeRequestParams {
  const argv = over.argv ?? ['/usr/bin/id'];
  return {
    sudoArgv: over.mode === 'edit' ? ['-e', '--', ...argv.slice(1)] : [...(over.envAssignments ?? []), '--', ...argv],
    argv: ['/usr/bin/id'],
    mode: 'command',
    targetUser: 'root',
    targetGroup: null,
    envAssignments: [],
    preserveEnv: false,
    cwd: '/home/agent',
    tty: '/dev/pts/3',
    interactive: true,
    sessionId: null,
    reason: null,
    untrustedSource: false,
    requireSessionId: false,
    requirePolicyFiles: false,
    allowNonInteractive: false,
    ...over,
  };
}

export const WALL0 = Date.UTC(2026, 0, 1, 9, 0, 0);
export const MINUTE = 60_000;

export interface HarnessOptions {
  config?: Record<string, unknown>;
  /** Files to write into <state>/security/ before the daemon starts. */
  securityFiles?: Record<string, string>;
  stateDir?: string;
  wallMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** One running daemon with its clock, process table, recorded `sudo -K` calls and a caller pid per call. */
export class PrivilegeHarness {
  private constructor(
    readonly t: TestDaemon,
    readonly clock: ManualClock,
    readonly procs: FakeProcs,
    readonly resets: string[],
    private readonly peer: { uid: number; pid: number },
  ) {}

  static async start(opts: HarnessOptions = {}, procs: FakeProcs = standardProcs()): Promise<PrivilegeHarness> {
    const stateDir = opts.stateDir ?? tempStateDir();
    if (opts.securityFiles) {
      const dir = join(stateDir, 'security');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const [name, text] of Object.entries(opts.securityFiles)) writeFileSync(join(dir, name), text, { mode: 0o600 });
    }
    const clock = new ManualClock(opts.wallMs ?? WALL0);
    const peer = { uid: process.getuid!(), pid: process.pid };
    const resets: string[] = [];
    const t = await startTestDaemon({
      stateDir,
      clock,
      procs,
      readPeer: () => ({ ...peer }),
      resetCredentials: async () => {
        resets.push(new Date(clock.now()).toISOString());
        return { command: 'sudo -K', ok: true, detail: 'test' };
      },
      config: configSchema.parse(opts.config ?? {}),
      env: opts.env ?? {},
    });
    const h = new PrivilegeHarness(t, clock, procs, resets, peer);
    await flushPromises(); // startup work that runs after listen (recover's sudo -K)
    return h;
  }

  get audit() {
    return this.t.daemon.services.audit;
  }

  get securityDir(): string {
    return this.t.daemon.layout.securityDir;
  }

  /** One call as process `pid`, on its own connection (the daemon reads the peer once per connection). */
  async call<M extends MethodName>(pid: number, method: M, params?: ParamsOf<M>): Promise<ResultOf<M>> {
    this.peer.pid = pid;
    const client = new OcsecClient(this.t.socketPath);
    try {
      return await client.call(method, params);
    } finally {
      client.close();
    }
  }

  /**
   * Starts a call as `pid` and resolves once the daemon has parked it as a privilege.wait waiter, so the
   * test may then change the caller pid for other calls.
   */
  async parkedWait(pid: number, requestId: number, waitMs = 25_000): Promise<{ result: Promise<ResultOf<'privilege.wait'>> }> {
    this.peer.pid = pid;
    const client = new OcsecClient(this.t.socketPath);
    const pending = client.call('privilege.wait', { requestId, waitMs }).finally(() => client.close());
    const waiters = (this.t.daemon.services.privilege as unknown as { waiters: Map<number, Set<unknown>> }).waiters;
    await new Promise<void>((resolve) => {
      const check = () => ((waiters.get(requestId)?.size ?? 0) > 0 ? resolve() : setImmediate(check));
      check();
    });
    return { result: pending }; // wrapped: an async function would otherwise wait for the call itself
  }

  /** The error a call fails with; fails the test when it succeeds. */
  async error<M extends MethodName>(pid: number, method: M, params?: ParamsOf<M>): Promise<DaemonRpcError> {
    let result: unknown;
    try {
      result = await this.call(pid, method, params);
    } catch (err) {
      if (err instanceof DaemonRpcError) return err;
      throw err;
    }
    throw new Error(`${method} was expected to fail but returned ${JSON.stringify(result)}`);
  }

  /** Audit events after seq (all, or those with one of the given actions). */
  events(afterSeq = 0, actions?: readonly string[]): AuditEvent[] {
    const all = this.audit.query({ afterSeq, limit: 1000 });
    return actions ? all.filter((e) => actions.includes(e.action)) : all;
  }

  head(): number {
    return this.audit.head().seq;
  }

  /** Moves time forward, then lets async continuations of the timers that fired (dropSession's sudo -K) run. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await flushPromises();
    await flushPromises();
  }

  writePolicy(name: string, text: string): void {
    writeFileSync(join(this.securityDir, name), text, { mode: 0o600 });
  }

  async verifyChain(): Promise<void> {
    const report = await this.call(PID.human, 'audit.verify');
    if (!report.ok) throw new Error(`audit chain broken: ${JSON.stringify(report.firstBreak)}`);
  }

  /** Stops the daemon but keeps its state dir, for a restart on it. */
  async stopKeepingState(): Promise<string> {
    this.t.client.close();
    await this.t.daemon.stop('restart');
    return this.t.stateDir;
  }

  stop(): Promise<void> {
    return this.t.stop();
  }
}

export function codeOf(name: ErrorCodeName): number {
  return ErrorCode[name];
}

/** The four steps the shim takes for an approved command, as the requester pid. */
export async function runGrant(h: PrivilegeHarness, pid: number, grantId: string, resetDone: boolean, argv: string[] = ['/usr/bin/id']) {
  const begun = await h.call(pid, 'privilege.begin', { grantId, realSudo: '/usr/bin/sudo' });
  expect(begun.sudoArgv.slice(-argv.length - 1)).toEqual(['--', ...argv]); // the grant hands back what it was approved for
  const finished = await h.call(pid, 'privilege.finish', {
    grantId,
    exitCode: 0,
    signal: null,
    durationMs: 5,
    credentialReset: resetDone ? { command: '/usr/bin/sudo -K', ok: true, detail: 'all cached sudo credentials removed' } : null,
  });
  return { begun, finished };
}
