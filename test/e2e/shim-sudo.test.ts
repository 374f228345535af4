// End-to-end: the installed shim launcher, the real ocsecd and the real sudo, as an unprivileged user on a pty.
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const OCSECD = join(root, 'dist/daemon/main.js');
const OCSECCTL = join(root, 'dist/client/cli.js');
const USER = 'ocsec-e2e';

const isRoot = process.getuid?.() === 0;
const hasTools = ['sudo', 'script', 'setpriv', 'useradd'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
/** Needs root (to create the test user and its sudoers drop-in) and sudo installed; .ci/run provides both. */
const canRun = isRoot && hasTools;

let uid = 0;
let gid = 0;
let stateDir = '';
let launcher = '';
let daemon: ChildProcessWithoutNullStreams | null = null;

function asUser(extraEnv: Record<string, string> = {}): string[] {
  const env = { HOME: stateDir, OPENCLAW_STATE_DIR: stateDir, PATH: `${stateDir}/bin:/usr/local/bin:/usr/bin:/bin`, LANG: 'C', ...extraEnv };
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
}

function ocsecctl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [cmd, ...rest] = asUser();
  const r = spawnSync(cmd!, [...rest, process.execPath, OCSECCTL, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A command on a fresh pty (util-linux `script`): what we write goes to its terminal, what it prints comes back. */
class PtySession {
  readonly child: ChildProcessWithoutNullStreams;
  private output = '';
  private readonly watchers: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  readonly exited: Promise<number | null>;

  constructor(shellCommand: string) {
    this.child = spawn('script', ['-qfec', shellCommand, '/dev/null'], { stdio: 'pipe' });
    this.child.stdout.on('data', (c: Buffer) => {
      this.output += c.toString();
      for (const w of [...this.watchers]) {
        const m = this.output.match(w.re);
        if (m) {
          this.watchers.splice(this.watchers.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    this.exited = new Promise((res) => this.child.on('exit', (code) => res(code)));
  }

  waitFor(re: RegExp): Promise<RegExpMatchArray> {
    const m = this.output.match(re);
    if (m) return Promise.resolve(m);
    return new Promise((res) => this.watchers.push({ re, resolve: res }));
  }

  type(text: string): void {
    this.child.stdin.write(text);
  }

  get text(): string {
    return this.output;
  }
}

function shellQuote(words: string[]): string {
  return words.map((w) => `'${w.replace(/'/g, `'"'"'`)}'`).join(' ');
}

function shimOnPty(args: string[], env: Record<string, string> = {}): PtySession {
  return new PtySession(shellQuote([...asUser(env), launcher, ...args]));
}

function shimWithoutTerminal(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  // setsid: no controlling terminal, as under a service or an agent's background job.
  const [cmd, ...rest] = asUser(env);
  const r = spawnSync(cmd!, [...rest, 'setsid', '-w', launcher, ...args], { encoding: 'utf8', timeout: 30_000, input: 'y\ny\ny\n' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function auditActions(filter: string): Array<{ action: string; data: Record<string, unknown> }> {
  const r = ocsecctl('audit', 'list', '--action', filter, '--limit', '1000', '--json');
  expect(r.status, `ocsecctl audit list: ${r.stderr}`).toBe(0);
  return (JSON.parse(r.stdout) as { events: Array<{ action: string; data: Record<string, unknown> }> }).events;
}

async function startDaemon(): Promise<void> {
  const [cmd, ...rest] = asUser();
  daemon = spawn(cmd!, [...rest, process.execPath, OCSECD], { stdio: 'pipe' });
  let out = '';
  await new Promise<void>((res, rej) => {
    daemon!.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('"msg":"ocsecd listening"')) res();
    });
    daemon!.on('exit', (code) => rej(new Error(`ocsecd exited ${code}: ${out}`)));
  });
}

async function stopDaemon(): Promise<void> {
  if (!daemon || daemon.exitCode !== null) return;
  const exited = new Promise((res) => daemon!.on('exit', res));
  daemon.kill('SIGTERM');
  await exited;
}

// Processes on a loaded CI machine start slowly; each test spawns a dozen.
describe.runIf(canRun)('the sudo shim with real sudo (as an unprivileged user)', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    execFileSync('bash', [join(root, 'test/e2e/setup-sudo-user.sh')]);
    uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
    stateDir = mkdtempSync('/tmp/ocsec-shim-');
    chownSync(stateDir, uid, gid);
    await startDaemon();
    const install = ocsecctl('install', '--shim');
    expect(install.status, install.stderr).toBe(0);
    launcher = join(stateDir, 'bin/sudo');
    expect(existsSync(launcher)).toBe(true);
  });

  afterAll(async () => {
    await stopDaemon();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('asks on the terminal; "y" runs the command as root via the real sudo, and a relative name resolves on the secure path', async () => {
    const pty = shimOnPty(['id', '-u'], { OPENCLAW_PRIV_REASON: 'check\nwho\x1b[31m I am' });
    await pty.waitFor(/Allow this command\? \[y\/N\]/);
    expect(pty.text).toMatch(/command : \/usr\/bin\/id -u/);
    expect(pty.text).toMatch(/risk {4}: standard/);
    expect(pty.text).toContain('reason  : check\\nwho\\x1b[31m I am'); // shown inert, not obeyed
    pty.type('y\r');
    expect(await pty.exited).toBe(0);
    expect(pty.text).toMatch(/\r?\n0\r?\n/);
    const actions = auditActions('*').map((e) => e.action);
    for (const a of ['approval_requested', 'approval_granted', 'exec_start', 'exec_finish', 'sudo_reset', 'drop_elevation']) expect(actions).toContain(a);
  });

  it('"n" (or Enter) on the terminal denies with exit 1, and piped `yes` cannot approve', async () => {
    const pty = new PtySession(shellQuote([...asUser(), 'sh', '-c', `yes | ${launcher} /usr/bin/true`]));
    await pty.waitFor(/Allow this command\? \[y\/N\]/);
    pty.type('\r');
    expect(await pty.exited).toBe(1);
    expect(pty.text).toContain('not approved');
  });

  it('without a terminal the request is refused with exit 2, even with yes on stdin', () => {
    const r = shimWithoutTerminal(['/usr/bin/true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('non-interactive sudo is blocked');
  });

  it('out-of-band: a separate terminal approves with ocsecctl; a process of the requester\'s own tree is refused', async () => {
    const [cmd, ...rest] = asUser({ OPENCLAW_ALLOW_NONINTERACTIVE_SUDO: '1' });
    // The requester runs under its own `sh`, which also tries to approve itself before a person does.
    const script = `${launcher} /usr/bin/id -u & while ! ${process.execPath} ${OCSECCTL} pending | grep -q '^#'; do sleep 0.05; done; id=$(${process.execPath} ${OCSECCTL} pending --json | sed -n 's/.*"id": \\([0-9]*\\).*/\\1/p' | head -1); script -qec "${process.execPath} ${OCSECCTL} approve $id" /dev/null; echo "self-approve=$?"; wait %1; echo "requester=$?"`;
    const requester = spawn(cmd!, [...rest, 'setsid', '-w', 'sh', '-c', script], { stdio: 'pipe' });
    const requesterExited = new Promise((res) => requester.on('exit', res)); // before it can happen
    let out = '';
    let err = '';
    requester.stdout.on('data', (c: Buffer) => (out += c.toString()));
    requester.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const selfTried = new Promise<void>((res) => requester.stdout.on('data', () => out.includes('self-approve=') && res()));
    await selfTried;
    expect(out).toContain('self-approve=1');
    const requestId = /approve (\d+)/.exec(err)?.[1];
    expect(requestId).toBeDefined();
    // A person, in another terminal (not descended from the requester's shell), approves.
    const human = new PtySession(shellQuote([...asUser(), process.execPath, OCSECCTL, 'approve', requestId!]));
    expect(await human.exited).toBe(0);
    await requesterExited;
    expect(out).toContain('requester=0');
    expect(out).toMatch(/^0$/m);
    const refused = auditActions('approval_self_refused');
    expect(refused.some((e) => String(e.data.why).includes("requester's process tree"))).toBe(true);
  });

  it('a deny rule blocks with exit 3; sudo -s and sudo sh -c are risk shell', async () => {
    const policyFile = join(stateDir, 'security/command-policy.json');
    writeFileSync(policyFile, JSON.stringify({ deny: ['\\brm\\s+-rf\\b'] }), { mode: 0o600 });
    chownSync(policyFile, uid, gid);
    expect(ocsecctl('policy', 'reload').status).toBe(0);
    const blocked = shimOnPty(['rm', '-rf', '/tmp/ocsec-nothing-here']);
    expect(await blocked.exited).toBe(3);
    expect(blocked.text).toContain('blocked by command policy (deny[0])');

    for (const args of [['-s'], ['sh', '-c', 'id -u']]) {
      const pty = shimOnPty(args);
      await pty.waitFor(/Allow this command\? \[y\/N\]/);
      expect(pty.text).toMatch(/risk {4}: shell/);
      pty.type('n\r');
      expect(await pty.exited).toBe(1);
    }
  });

  it('an unknown command is refused like sudo would (exit 1) and audited', () => {
    const r = shimWithoutTerminal(['apt-gett', 'update']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('sudo: apt-gett: command not found');
    expect(auditActions('command_invalid').some((e) => e.data.code === 'command-not-found')).toBe(true);
  });

  it('fails closed when ocsecd is not running, and the audit chain verifies after everything', async () => {
    const verify = ocsecctl('audit', 'verify');
    expect(verify.status, verify.stdout).toBe(0);
    await stopDaemon();
    const r = shimWithoutTerminal(['/usr/bin/true'], { OPENCLAW_ALLOW_NONINTERACTIVE_SUDO: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ocsecd is not running — privileged command refused');
    await startDaemon();
    expect(ocsecctl('audit', 'verify').status).toBe(0);
  });
});

