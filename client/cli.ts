#!/usr/bin/env node
/** ocsecctl: the command line for ocsecd — status, the audit trail and a health check — over the RPC socket. */
import { Command, CommanderError } from 'commander';
import { lstatSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toMirrorLine } from './audit-format.js';
import { layoutFor, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, stateDirFrom } from './layout.js';
import { PROTOCOL_VERSION, type AuditEvent, type ResultOf } from './protocol.js';
import { DaemonRpcError, isDaemonUnreachable, OcsecClient } from './rpc-client.js';
import { registerSecurityCommands } from './security-cli.js';
import { registerNetworkCommands } from './network-cli.js';
import { registerComplianceCommands } from './compliance-cli.js';
import { inertLine } from './terminal.js';
import { openTerminal } from './terminal-prompt.js';
import { alternativesCheck, exportChecks, gatewayCheck, jobChecks, peerCheck, sandboxCheck, serviceCheck, shimChecks, sudoRulesCheck, type DoctorEnv } from './doctor-checks.js';
import { currentPlatform, InstallError, runInstall, runUninstall, type InstallReport } from './install/index.js';
import { systemRunner } from './install/runner.js';
import { COMPONENTS, ManifestError, type Component } from './install/manifest.js';
import { VERSION } from './version.js';

/** Documented in the README: scripts rely on these. */
export const ExitCode = { Ok: 0, Findings: 1, Usage: 2, Unreachable: 3 } as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Lets `audit tail --follow` stop (Ctrl-C, or a test). */
  signal?: AbortSignal;
}

class UsageError extends Error {}

interface InstallOptions {
  service?: boolean;
  shim?: boolean;
  gatewayPath?: boolean;
  gatewayUnit?: string;
  sandbox?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** Permission, missing-directory and similar failures while installing: reported, not a crash. */
function isFsError(e: unknown): boolean {
  return typeof (e as NodeJS.ErrnoException)?.code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

function socketPathFrom(opts: { socket?: string; stateDir?: string }, env: NodeJS.ProcessEnv): string {
  if (opts.socket) return opts.socket;
  return layoutFor(opts.stateDir ?? stateDirFrom(env)).socketPath;
}

function parseNonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

function parseTimestamp(value: string): string {
  if (Number.isNaN(Date.parse(value))) throw new UsageError(`--since must be an ISO 8601 timestamp, got "${value}"`);
  return new Date(value).toISOString();
}

function formatEvent(e: AuditEvent): string {
  const fields = Object.entries(e.data)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return inertLine(`${String(e.seq).padStart(6)} ${e.ts} ${e.action.padEnd(22)} ${e.subject || '-'} uid=${e.actor_uid} pid=${e.actor_pid}${fields ? ' ' + fields : ''}`);
}

function versionSkewWarning(status: ResultOf<'daemon.status'>): string | null {
  if (status.protocolVersion !== PROTOCOL_VERSION) {
    return `warning: ocsecd speaks protocol ${status.protocolVersion}, this ocsecctl speaks ${PROTOCOL_VERSION} — restart ocsecd after upgrading (daemon ${status.version}, ocsecctl ${VERSION})`;
  }
  if (status.version !== VERSION) return `warning: ocsecd is version ${status.version}, ocsecctl is ${VERSION} — restart ocsecd after upgrading`;
  return null;
}

type Check = { name: string; status: 'PASS' | 'WARN' | 'FAIL'; detail: string; fix?: string };

function modeCheck(name: string, path: string, want: number, kind: 'dir' | 'socket'): Check {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return { name, status: 'FAIL', detail: `${path} does not exist`, fix: kind === 'socket' ? 'start ocsecd' : `mkdir -m ${want.toString(8)} ${path}` };
  }
  const mode = st.mode & 0o777;
  const uid = process.getuid?.();
  if (kind === 'socket' && !st.isSocket()) return { name, status: 'FAIL', detail: `${path} is not a socket`, fix: 'stop whatever created it and restart ocsecd' };
  if (kind === 'dir' && !st.isDirectory()) return { name, status: 'FAIL', detail: `${path} is not a directory` };
  if (uid !== undefined && st.uid !== uid) return { name, status: 'FAIL', detail: `${path} is owned by uid ${st.uid}, not ${uid}`, fix: `chown ${uid} ${path}` };
  if ((mode & ~want) !== 0) return { name, status: 'FAIL', detail: `${path} has mode ${mode.toString(8)}, want ${want.toString(8)}`, fix: `chmod ${want.toString(8)} ${path}` };
  return { name, status: 'PASS', detail: `${path} ${mode.toString(8)}` };
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const clients: OcsecClient[] = [];
  const out = (text: string) => io.stdout(text.endsWith('\n') ? text : text + '\n');
  const err = (text: string) => io.stderr(text.endsWith('\n') ? text : text + '\n');
  const json = (value: unknown) => out(JSON.stringify(value, null, 2));

  const program = new Command('ocsecctl')
    .description('Control and inspect ocsecd, the OpenClaw privilege-governance daemon.')
    .version(VERSION, '-V, --version')
    .option('--socket <path>', 'RPC socket (default: <state>/run/ocsecd.sock)')
    .option('--state-dir <dir>', 'state directory (default: $OPENCLAW_STATE_DIR or ~/.openclaw)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 findings or a failed check, 2 usage error, 3 ocsecd unreachable.',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError('(run with --help for usage)');

  const client = (): OcsecClient => {
    const c = new OcsecClient(socketPathFrom(program.opts<{ socket?: string; stateDir?: string }>(), io.env));
    clients.push(c);
    return c;
  };

  program
    .command('status')
    .description('show the daemon version, pid, uptime, paths, audit head and jobs')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const status = await client().call('daemon.status');
      const skew = versionSkewWarning(status);
      if (skew) err(skew);
      if (opts.json) return json(status);
      out(
        [
          `ocsecd ${status.version} (protocol ${status.protocolVersion}) pid ${status.pid}, up ${status.uptimeSeconds}s since ${status.startedAt}`,
          `state dir   ${status.stateDir}`,
          `socket      ${status.socketPath}`,
          `database    ${status.dbPath} (schema ${status.schemaVersion})`,
          `audit       head seq ${status.audit.headSeq} ${status.audit.headHash}`,
          `jobs:`,
          ...status.jobs.map(
            (j) => `  ${j.name.padEnd(16)} ${j.schedule.padEnd(16)} runs ${j.runs} last ${j.lastRunAt ?? 'never'} next ${j.nextRunAt ?? '-'}${j.lastError ? ` error: ${inertLine(j.lastError)}` : ''}`,
          ),
        ].join('\n'),
      );
    });

  const audit = program.command('audit').description('read and verify the audit trail');

  audit
    .command('list')
    .description('list audit events (oldest first)')
    .option('--since <iso>', 'only events at or after this time', parseTimestamp)
    .option('--action <name>', 'only this action (a trailing * matches a prefix)')
    .option('--after-seq <n>', 'only events after this seq', parseNonNegativeInt('--after-seq'))
    .option('--limit <n>', 'at most this many events (1-1000)', parseNonNegativeInt('--limit'), 100)
    .option('--json', 'machine-readable output')
    .action(async (opts: { since?: string; action?: string; afterSeq?: number; limit: number; json?: boolean }) => {
      if (opts.limit < 1 || opts.limit > 1000) throw new UsageError('--limit must be between 1 and 1000');
      const res = await client().call('audit.query', { since: opts.since, action: opts.action, afterSeq: opts.afterSeq, limit: opts.limit });
      if (opts.json) return json(res);
      for (const e of res.events) out(formatEvent(e));
    });

  audit
    .command('export')
    .description('write every matching event to stdout (a JSON array, or reference JSONL lines with --jsonl)')
    .option('--since <iso>', 'only events at or after this time', parseTimestamp)
    .option('--action <name>', 'only this action (a trailing * matches a prefix)')
    .option('--jsonl', 'one reference-format line per event, as in privileged-audit.jsonl')
    .option('--json', 'a JSON array (the default)')
    .action(async (opts: { since?: string; action?: string; jsonl?: boolean }) => {
      const c = client();
      let afterSeq = 0;
      const all: AuditEvent[] = [];
      for (;;) {
        const page = await c.call('audit.query', { since: opts.since, action: opts.action, afterSeq, limit: 1000 });
        if (page.events.length === 0) break;
        for (const e of page.events) {
          if (opts.jsonl) out(toMirrorLine(e));
          else all.push(e);
        }
        afterSeq = page.events[page.events.length - 1]!.seq;
      }
      if (!opts.jsonl) json(all);
    });

  audit
    .command('tail')
    .description('print the latest events and follow new ones (Ctrl-C stops)')
    .option('-n, --lines <n>', 'how many past events to show first', parseNonNegativeInt('--lines'), 10)
    .option('--no-follow', 'print the past events and exit')
    .option('--json', 'one JSON event per line')
    .action(async (opts: { lines: number; follow: boolean; json?: boolean }) => {
      const c = client();
      const print = (e: AuditEvent) => out(opts.json ? JSON.stringify(e) : formatEvent(e));
      const head = (await c.call('daemon.status')).audit.headSeq;
      let afterSeq = head;
      if (opts.lines > 0) {
        // Seqs are contiguous, so the last N events start right after head - N.
        const past = await c.call('audit.query', { afterSeq: Math.max(0, head - opts.lines), limit: Math.min(1000, opts.lines) });
        for (const e of past.events) print(e);
        afterSeq = past.events.at(-1)?.seq ?? head;
      }
      while (opts.follow && !io.signal?.aborted) {
        const page = await c.call('audit.tail', { afterSeq, waitMs: 20_000 }, { timeoutMs: 40_000 });
        for (const e of page.events) print(e);
        afterSeq = page.events.at(-1)?.seq ?? afterSeq;
      }
    });

  audit
    .command('verify')
    .description('recompute the hash chain and compare it with the JSONL mirror (exit 1 if broken)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const report = await client().call('audit.verify');
      if (!report.ok) exitCode = ExitCode.Findings;
      if (opts.json) return json(report);
      if (report.ok) out(`OK: ${report.count} events, head seq ${report.headSeq} ${report.headHash}; mirror ${report.mirror.lines} lines agrees`);
      else {
        const b = report.firstBreak!;
        out(`BROKEN at seq ${b.seq} (${b.kind}): ${inertLine(b.reason)}`);
        out(`${report.count} rows in the database; last verified head seq ${report.headSeq}; mirror ${report.mirror.path} has ${report.mirror.lines} lines`);
      }
    });

  program
    .command('pending')
    .description('list approval requests waiting for a decision')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { requests } = await client().call('privilege.pending');
      if (opts.json) return json(requests);
      if (requests.length === 0) return out('no pending requests');
      for (const r of requests) {
        out(inertLine(`#${r.id}  ${r.ageSeconds}s old, expires ${r.expiresAt}  risk ${r.risk}${r.untrusted ? ' UNTRUSTED' : ''}  as ${r.targetUser}`));
        out(inertLine(`     ${r.argv.map((w) => (w === '' || /[\s'"\\]/.test(w) ? JSON.stringify(w) : w)).join(' ')}`));
        const extra = r.sudoArgv.slice(0, r.sudoArgv.lastIndexOf('--'));
        if (extra.length > 0) out(inertLine(`     sudo options and environment: ${extra.join(' ')}`));
        out(inertLine(`     reason: ${r.reason ?? '-'}  requester pid ${r.requester.pid} (parent ${r.requester.process ?? '?'} pid ${r.requester.ppid ?? '?'})  session ${r.sessionId ?? '-'}  cwd ${r.requester.cwd}`));
      }
    });

  program
    .command('approve <id>')
    .description('approve a pending request from this terminal (asks for the token or TOTP code when one is configured)')
    .option('--keep-session', 'keep this approval for the session until it is idle for the timeout')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { keepSession?: boolean; json?: boolean }) => {
      const requestId = parseNonNegativeInt('request id')(id);
      const c = client();
      const request = (await c.call('privilege.pending')).requests.find((r) => r.id === requestId);
      const factors = await c.call('factors.status');
      const needsFactor = factors.token || factors.totp;
      let factor: string | undefined;
      let untrustedConfirmed: boolean | undefined;
      if (needsFactor || request?.untrusted) {
        const tty = openTerminal();
        if (!tty) throw new UsageError('this approval needs a terminal to ask for the factor or the untrusted-source confirmation');
        try {
          if (request?.untrusted) {
            untrustedConfirmed = tty.readLine(inertLine(`Request #${requestId} comes from an UNTRUSTED source: ${request.argv.join(' ')}\nType "yes" to approve it anyway: `))?.trim() === 'yes';
          }
          if (needsFactor) factor = tty.readSecret(factors.totp && factors.token ? 'Approval token or TOTP code: ' : factors.totp ? 'TOTP code: ' : 'Approval token: ') ?? undefined;
        } finally {
          tty.close();
        }
      }
      const res = await c.call('privilege.approve', { requestId, channel: 'cli', factor, untrustedConfirmed, keepSession: opts.keepSession });
      if (opts.json) return json(res);
      out(`approved request #${res.requestId}`);
    });

  program
    .command('deny <id>')
    .description('deny a pending request')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { reason?: string; json?: boolean }) => {
      const res = await client().call('privilege.deny', { requestId: parseNonNegativeInt('request id')(id), channel: 'cli', reason: opts.reason });
      if (opts.json) return json(res);
      out(`denied request #${res.requestId}`);
    });

  program
    .command('sessions')
    .description('list elevated sessions that keep approvals, with their idle expiry')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const res = await client().call('session.list');
      if (opts.json) return json(res);
      if (res.sessions.length === 0) return out(`no elevated sessions (idle timeout ${res.idleTimeoutSeconds / 60} min)`);
      for (const s of res.sessions) {
        out(inertLine(`${s.key}  as ${s.targetUser}  last active ${s.lastActivityAt}  expires ${s.expiresAt}`));
        for (const a of s.approvedArgv) out(inertLine(`     ${a.join(' ')}`));
      }
    });

  program
    .command('drop <key>')
    .description('drop an elevated session now (and sudo -K)')
    .option('--json', 'machine-readable output')
    .action(async (key: string, opts: { json?: boolean }) => {
      const res = await client().call('session.drop', { key });
      if (opts.json) return json(res);
      out(`dropped ${key}`);
    });

  registerNetworkCommands(program, {
    client,
    out,
    setExitCode: (code) => {
      exitCode = code;
    },
    usage: (message) => {
      throw new UsageError(message);
    },
  });

  registerSecurityCommands(program, {
    client,
    out,
    err,
    setExitCode: (code) => {
      exitCode = code;
    },
    usage: (message) => {
      throw new UsageError(message);
    },
    version: VERSION,
  });

  registerComplianceCommands(program, {
    client,
    out,
    setExitCode: (code) => {
      exitCode = code;
    },
    usage: (message) => {
      throw new UsageError(message);
    },
    readFactor: (prompt) => {
      const tty = openTerminal();
      if (!tty) return null;
      try {
        return tty.readSecret(prompt) ?? null;
      } finally {
        tty.close();
      }
    },
    platform: process.platform,
  });

  const policy = program.command('policy').description('the policy files in force');
  const printPolicy = (res: ResultOf<'policy.check'>, asJson?: boolean) => {
    if (!res.ok) exitCode = ExitCode.Findings;
    if (asJson) return json(res);
    for (const f of res.files) {
      out(inertLine(`${f.status.toUpperCase().padEnd(7)} ${f.name}${f.inForce ? ` (in force: sha256 ${f.sha256?.slice(0, 16)}…)` : ' (nothing in force)'}`));
      if (f.problem) out(inertLine(`        ${f.problem}`));
    }
  };
  policy
    .command('check')
    .description('show each policy file: in force, missing, or invalid with file:line:column and field (exit 1 if invalid)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => printPolicy(await client().call('policy.check'), opts.json));
  policy
    .command('reload')
    .description('re-read the policy files now')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => printPolicy(await client().call('policy.reload'), opts.json));

  const askSecret = (prompts: string[]): string[] => {
    const tty = openTerminal();
    if (!tty) throw new UsageError('this command reads secrets from a terminal; run it interactively');
    try {
      return prompts.map((p) => tty.readSecret(p) ?? '');
    } finally {
      tty.close();
    }
  };

  const token = program.command('approval-token').description('the approval token asked for before each approval');
  token
    .command('set')
    .description('set or replace the token (stored as an scrypt hash; replacing needs the current factor)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const c = client();
      const status = await c.call('factors.status');
      const hasFactor = status.token || status.totp;
      const answers = askSecret([...(hasFactor ? ['Current token or TOTP code: '] : []), 'New approval token (12+ characters): ', 'Repeat it: ']);
      const [current, first, second] = hasFactor ? answers : [undefined, ...answers];
      if (first !== second) throw new UsageError('the two entries differ');
      const res = await c.call('factors.token.set', { token: first!, current: current || undefined });
      if (opts.json) return json(res);
      out('approval token set');
    });
  token
    .command('clear')
    .description('remove the token (needs it)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const [current] = askSecret(['Current approval token: ']);
      const res = await client().call('factors.token.clear', { current: current! });
      if (opts.json) return json(res);
      out('approval token removed');
    });

  const totp = program.command('totp').description('a TOTP authenticator as the approval factor');
  totp
    .command('enroll')
    .description('print an otpauth:// URI for an authenticator app, then confirm with a code')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const c = client();
      const status = await c.call('factors.status');
      const [current] = status.token || status.totp ? askSecret(['Current token or TOTP code: ']) : [undefined];
      const res = await c.call('factors.totp.enroll', { current: current || undefined });
      if (opts.json) return json(res);
      out(`Add this to your authenticator app:\n  ${res.uri}\nThen run \`ocsecctl totp confirm CODE\` with the code it shows.`);
    });
  totp
    .command('confirm <code>')
    .description('activate the enrolled TOTP secret with a current code')
    .option('--json', 'machine-readable output')
    .action(async (code: string, opts: { json?: boolean }) => {
      const res = await client().call('factors.totp.confirm', { code });
      if (opts.json) return json(res);
      out('TOTP enabled: approvals now ask for a code');
    });
  totp
    .command('clear')
    .description('remove TOTP (needs a current code)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const [current] = askSecret(['Current TOTP code: ']);
      const res = await client().call('factors.totp.clear', { current: current! });
      if (opts.json) return json(res);
      out('TOTP removed');
    });

  const layoutNow = () => layoutFor(program.opts<{ stateDir?: string }>().stateDir ?? stateDirFrom(io.env));
  const printReport = (report: InstallReport, asJson: boolean | undefined) => {
    if (asJson) return json(report);
    for (const s of report.steps) out(inertLine(`${report.dryRun && s.changed ? '[dry-run] ' : ''}${s.action}`));
  };
  const componentsFrom = (opts: InstallOptions): Component[] =>
    COMPONENTS.filter((c) => (c === 'service' ? opts.service : c === 'shim' ? opts.shim : opts.gatewayPath) === true);
  const confirmOnTerminal = (question: string): boolean | null => {
    const tty = openTerminal();
    if (!tty) return null;
    try {
      return /^y(es)?$/i.test(tty.readLine(question)?.trim() ?? '');
    } finally {
      tty.close();
    }
  };
  const installAction = (mode: 'install' | 'uninstall') => (opts: InstallOptions) => {
    const chosen = componentsFrom(opts);
    const components: Component[] = mode === 'install' && chosen.length === 0 ? ['service'] : chosen;
    const request = { layout: layoutNow(), components, dryRun: opts.dryRun === true, env: io.env, confirm: confirmOnTerminal, gatewayUnit: opts.gatewayUnit, sandbox: opts.sandbox };
    let report: InstallReport;
    try {
      report = mode === 'install' ? runInstall(request) : runUninstall(request);
    } catch (e) {
      if (!(e instanceof InstallError) && !(e instanceof ManifestError) && !isFsError(e)) throw e;
      exitCode = ExitCode.Findings;
      return err(`ocsecctl: ${inertLine((e as Error).message)}`);
    }
    printReport(report, opts.json);
    if (mode === 'install' && chosen.length === 0 && !opts.json) {
      out('Also available: --shim (the sudo shim launcher in <state>/bin), --gateway-path (puts it first in the OpenClaw gateway\'s PATH), --sandbox (confine the service; see the README). Run `ocsecctl doctor` to check the result.');
    }
  };
  const installOptions = (cmd: Command, verb: string) =>
    cmd
      .option('--service', `${verb} the ocsecd service (systemd user unit on Linux, LaunchAgent on macOS)`)
      .option('--shim', `${verb} the sudo shim launcher at <state>/bin/sudo`)
      .option('--gateway-path', `${verb} <state>/bin first in the OpenClaw gateway's PATH (systemd drop-in / LaunchAgent EnvironmentVariables)`)
      .option('--gateway-unit <name>', 'the gateway\'s systemd unit or LaunchAgent label (default openclaw-gateway.service / ai.openclaw.gateway)')
      .option('--dry-run', 'print what would change, change nothing')
      .option('--json', 'machine-readable output');
  installOptions(
    program.command('install').description('install ocsecd as a service, the sudo shim and the gateway PATH wiring; with no option, the service (each step printed, idempotent, recorded in a manifest)'),
    'install',
  )
    .option('--sandbox', 'with --service on Linux: add the opt-in sandbox drop-in (ocsecd can then no longer run sudo -K at idle expiry)')
    .option('--no-sandbox', 'with --service: remove the sandbox drop-in')
    .action(installAction('install'));
  installOptions(
    program.command('uninstall').description('reverse what install recorded (all of it with no option); never policies, the database or the audit log'),
    'uninstall',
  ).action(installAction('uninstall'));

  program
    .command('doctor')
    .description('check that protection is real: modes, supervision, peer check, shim, the gateway\'s PATH, NOPASSWD rules, su/doas/pkexec, policies, store, chain, jobs, exports')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const globals = program.opts<{ socket?: string; stateDir?: string }>();
      const layout = layoutFor(globals.stateDir ?? stateDirFrom(io.env));
      const socketPath = socketPathFrom(globals, io.env);
      const checks: Check[] = [
        modeCheck('state dir', layout.stateDir, PRIVATE_DIR_MODE, 'dir'),
        modeCheck('security dir', layout.securityDir, PRIVATE_DIR_MODE, 'dir'),
        modeCheck('run dir', layout.runDir, PRIVATE_DIR_MODE, 'dir'),
        modeCheck('socket', socketPath, PRIVATE_FILE_MODE, 'socket'),
      ];
      let unreachable = false;
      const c = client();
      const host: DoctorEnv = { layout, env: io.env, platform: currentPlatform(), uid: process.getuid?.() ?? -1, pid: process.pid, run: systemRunner };
      try {
        const status = await c.call('daemon.status');
        const skew = versionSkewWarning(status);
        checks.push({ name: 'daemon', status: skew ? 'WARN' : 'PASS', detail: `ocsecd ${status.version} pid ${status.pid}${skew ? ` — ${skew}` : ''}` });
        const posture = await c.call('host.posture');
        checks.push(serviceCheck(host, posture.daemon.supervisor), peerCheck(host, posture), ...shimChecks(host), gatewayCheck(host, posture), sudoRulesCheck(host, posture), alternativesCheck(posture));
        const sandbox = sandboxCheck(posture);
        if (sandbox) checks.push(sandbox);
        const integrity = await c.call('store.integrity');
        checks.push(
          integrity.ok
            ? { name: 'database integrity', status: 'PASS', detail: `${integrity.dbPath}: ok` }
            : { name: 'database integrity', status: 'FAIL', detail: integrity.messages.slice(0, 5).join('; '), fix: `stop ocsecd, move ${integrity.dbPath} aside and restore a backup` },
        );
        const policies = await c.call('policy.check');
        for (const f of policies.files) {
          if (f.status === 'invalid') checks.push({ name: `policy ${f.name}`, status: 'FAIL', detail: f.problem ?? 'invalid', fix: `fix ${f.path}, then \`ocsecctl policy check\`${f.inForce ? ' (the last good version is in force meanwhile)' : ' (nothing is in force: privileged requests are denied)'}` });
          else if (f.problem) checks.push({ name: `policy ${f.name}`, status: 'WARN', detail: f.problem });
          else checks.push({ name: `policy ${f.name}`, status: 'PASS', detail: f.status === 'ok' ? `in force, sha256 ${f.sha256?.slice(0, 16)}…` : 'absent (reference defaults apply)' });
        }
        const factors = await c.call('factors.status');
        if (factors.tokenFromEnv) {
          checks.push({ name: 'approval factor', status: 'WARN', detail: 'the approval token comes from OPENCLAW_APPROVAL_TOKEN in the environment, where agents started with that environment can read it', fix: 'ocsecctl approval-token set (stored as an scrypt hash), then remove OPENCLAW_APPROVAL_TOKEN' });
        } else if (!factors.token && !factors.totp) {
          checks.push({ name: 'approval factor', status: 'WARN', detail: 'approvals need only a confirmation: a process of your user that reaches the socket can approve as if it were you', fix: 'ocsecctl totp enroll (or ocsecctl approval-token set)' });
        } else {
          checks.push({ name: 'approval factor', status: 'PASS', detail: [factors.token ? 'token' : null, factors.totp ? 'TOTP' : null].filter(Boolean).join(' + ') + (factors.lockedUntil ? `; locked until ${factors.lockedUntil}` : '') });
        }
        const report = await c.call('audit.verify');
        checks.push(
          report.ok
            ? { name: 'audit chain', status: 'PASS', detail: `${report.count} events, head seq ${report.headSeq}` }
            : { name: 'audit chain', status: 'FAIL', detail: `broken at seq ${report.firstBreak!.seq} (${report.firstBreak!.kind}): ${report.firstBreak!.reason}`, fix: 'investigate who changed the trail; `ocsecctl audit verify --json` has the details' },
        );
        checks.push(...jobChecks(status.jobs, Date.now()), ...exportChecks(await c.call('exports.status')));
      } catch (e) {
        if (!isDaemonUnreachable(e)) throw e;
        unreachable = true;
        checks.push({ name: 'daemon', status: 'FAIL', detail: e.message, fix: 'npm start, or systemctl --user start ocsecd' });
        checks.push(serviceCheck(host, null), ...shimChecks(host));
      }
      const failed = checks.some((ch) => ch.status === 'FAIL');
      exitCode = unreachable ? ExitCode.Unreachable : failed ? ExitCode.Findings : ExitCode.Ok;
      if (opts.json) return json({ ok: !failed, checks });
      for (const ch of checks) {
        out(`${ch.status.padEnd(4)} ${ch.name}: ${inertLine(ch.detail)}`);
        if (ch.fix && ch.status !== 'PASS') out(`     Fix: ${ch.fix}`);
      }
    });

  try {
    await program.parseAsync(['node', 'ocsecctl', ...argv]);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; everything else commander throws is a usage mistake.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? ExitCode.Ok : ExitCode.Usage;
    }
    if (e instanceof UsageError) {
      err(`ocsecctl: ${e.message}`);
      return ExitCode.Usage;
    }
    if (isDaemonUnreachable(e)) {
      err(`ocsecctl: ${e.message}`);
      return ExitCode.Unreachable;
    }
    if (e instanceof DaemonRpcError) {
      err(`ocsecctl: ocsecd refused the request: ${inertLine(e.message)} (code ${e.code})`);
      return ExitCode.Findings;
    }
    throw e;
  } finally {
    for (const c of clients) c.close();
  }
}

function isMainModule(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  const abort = new AbortController();
  process.once('SIGINT', () => {
    abort.abort();
    process.exit(0);
  });
  runCli(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    signal: abort.signal,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`ocsecctl: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

