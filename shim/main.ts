#!/usr/bin/env node
/** The sudo shim: parse sudo's command line, ask ocsecd, ask the person on /dev/tty, run the real sudo, report. */
import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ErrorCode, ShimExit } from '../client/codes.js';
import { layoutFor, stateDirFrom } from '../client/layout.js';
import type { PrivilegeDecision, PrivilegeRequestParams } from '../client/protocol.js';
import { DEFAULT_SECURE_PATH, locateRealSudo, trustedSecurePath } from '../client/real-sudo.js';
import { DaemonRpcError, isDaemonUnreachable, OcsecClient, START_HINT } from '../client/rpc-client.js';
import { inertLine } from '../client/terminal.js';
import { loginShellOf, resolveCommand, shellCommandFor } from './resolve-command.js';
import { resetSudoCredentials, runSudo } from './run-sudo.js';
import { isSudoArgsError, parseSudoArgs, type ParsedSudo } from './sudo-args.js';
import { openTerminal, type TerminalPrompt } from '../client/terminal-prompt.js';

const env = process.env;

function say(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

/** Raised to end the run with a status after saying why (on stderr). */
class ShimExitError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** OPENCLAW_PRIV_REASON as the approver will see it: one line, no control characters, at most 200 characters. */
export function sanitizeReason(raw: string | undefined): string | null {
  if (!raw) return null;
  const line = inertLine(raw).replace(/\s+/g, ' ').trim();
  return line.length === 0 ? null : line.slice(0, 200);
}

function failClosed(err: unknown): never {
  if (isDaemonUnreachable(err)) {
    throw new ShimExitError(1, `ocsecd is not running — privileged command refused; ${START_HINT}`);
  }
  if (err instanceof DaemonRpcError) {
    const status =
      err.code === ErrorCode.FactorInvalid || err.code === ErrorCode.FactorLocked
        ? ShimExit.InvalidApprovalToken
        : err.code === ErrorCode.UntrustedNotConfirmed
          ? ShimExit.UntrustedNotConfirmed
          : 1;
    throw new ShimExitError(status, `sudo (ocsec): refused: ${err.message}`);
  }
  throw err;
}

/** The canonical argv: what policy sees, what an approval is bound to, what the audit records and what runs. */
function canonicalCommand(parsed: ParsedSudo, targetUser: string): { argv: string[]; execArgs: string[] } | { refused: string; code: 'command-not-found' | 'invalid-command'; status: number } {
  const cwd = process.cwd();
  if (parsed.mode === 'edit') {
    // sudoedit copies the files and runs the caller's editor on the copies; the approval is for editing these paths.
    const files = parsed.command.map((f) => resolve(parsed.chdir ?? cwd, f));
    return { argv: ['sudoedit', ...files], execArgs: ['-e', '--', ...files] };
  }
  let command = parsed.command;
  if (parsed.mode === 'shell') {
    let passwd = '';
    try {
      passwd = readFileSync('/etc/passwd', 'utf8');
    } catch {
      // fall back to /bin/sh below
    }
    // As sudo does: -i runs the target's login shell; -s runs $SHELL, else the caller's own passwd shell.
    const callerShell = env.SHELL || loginShellOf(`#${process.getuid?.() ?? ''}`, passwd);
    const shell = parsed.loginShell ? loginShellOf(targetUser, passwd) : callerShell;
    command = shellCommandFor(parsed, shell ?? '/bin/sh');
  }
  const name = command[0]!;
  const resolved = resolveCommand(name, { securePath: trustedSecurePath(env.OCSEC_SECURE_PATH) ?? DEFAULT_SECURE_PATH, cwd: parsed.chdir ?? cwd });
  if (!resolved.ok) {
    return { refused: resolved.message, code: resolved.reason === 'not-found' ? 'command-not-found' : 'invalid-command', status: resolved.reason === 'not-found' ? 1 : ShimExit.InvalidCommand };
  }
  if (resolved.path.includes('=')) {
    // sudo would read a word with '=' before the command as an environment assignment.
    return { refused: `sudo: ${name}: a command path containing '=' cannot be run safely`, code: 'invalid-command', status: ShimExit.InvalidCommand };
  }
  const argv = [resolved.path, ...command.slice(1)];
  // sudo reads VAR=value only before `--`; after it, everything is the command.
  return { argv, execArgs: [...parsed.envAssignments, '--', ...argv] };
}

const quoteWords = (words: readonly string[]) => inertLine(words.map((a) => (a === '' || /[\s'"\\]/.test(a) ? JSON.stringify(a) : a)).join(' '));

function describeRequest(d: Extract<PrivilegeDecision, { decision: 'approval_required' }>, argv: string[], sudoArgv: string[], targetUser: string, reason: string | null): string {
  // Options and VAR=value words change what runs as much as the command does: the person sees them all.
  const extra = sudoArgv.slice(0, sudoArgv.lastIndexOf('--'));
  return [
    '',
    `ocsec: approval needed for a privileged command (request ${d.requestId})`,
    `  command : ${quoteWords(argv)}`,
    ...(extra.length > 0 ? [`  sudo    : ${quoteWords(extra)} (options and environment for this run)`] : []),
    `  as user : ${inertLine(targetUser)}`,
    `  risk    : ${d.risk}${d.riskWhy ? ` — ${inertLine(d.riskWhy)}` : ''}`,
    `  reason  : ${reason ?? '(none given: set OPENCLAW_PRIV_REASON)'}`,
    '',
  ].join('\n');
}

async function approveOnTerminal(client: OcsecClient, tty: TerminalPrompt, d: Extract<PrivilegeDecision, { decision: 'approval_required' }>, argv: string[], sudoArgv: string[], targetUser: string, reason: string | null): Promise<string> {
  tty.write(describeRequest(d, argv, sudoArgv, targetUser, reason));
  const answer = tty.readLine('Allow this command? [y/N] ');
  if (answer === null || !/^y(es)?$/i.test(answer.trim())) {
    await client.call('privilege.deny', { requestId: d.requestId, channel: 'tty' }).catch(failClosed);
    throw new ShimExitError(ShimExit.DeniedByUser, 'sudo (ocsec): not approved');
  }
  let untrustedConfirmed = false;
  if (d.untrustedConfirmation) {
    const confirm = tty.readLine('This request comes from an UNTRUSTED source (OPENCLAW_UNTRUSTED_SOURCE=1). Type "yes" to run it anyway: ');
    untrustedConfirmed = confirm !== null && confirm.trim() === 'yes';
  }
  let factor: string | undefined;
  if (d.factors.includes('token') || d.factors.includes('totp')) {
    const label = d.factors.includes('totp') && d.factors.includes('token') ? 'Approval token or TOTP code' : d.factors.includes('totp') ? 'TOTP code' : 'Approval token';
    factor = tty.readSecret(`${label}: `) ?? undefined;
  }
  const approved = await client.call('privilege.approve', { requestId: d.requestId, channel: 'tty', factor, untrustedConfirmed }).catch(failClosed);
  if (!approved.grantId) throw new ShimExitError(1, 'sudo (ocsec): ocsecd approved without a grant; refusing');
  return approved.grantId;
}

async function awaitOutOfBand(client: OcsecClient, d: Extract<PrivilegeDecision, { decision: 'approval_required' }>): Promise<string> {
  const seconds = Math.max(0, Math.round((Date.parse(d.expiresAt) - Date.now()) / 1000));
  say(`ocsec: request ${d.requestId} needs approval — run \`ocsecctl approve ${d.requestId}\` (or \`ocsecctl deny ${d.requestId}\`) in a terminal within ${seconds}s`);
  for (;;) {
    const r = await client.call('privilege.wait', { requestId: d.requestId, waitMs: 20_000 }, { timeoutMs: 40_000 }).catch(failClosed);
    if (r.state === 'pending') continue;
    if (r.state === 'approved' && r.grantId) return r.grantId;
    if (r.state === 'expired') throw new ShimExitError(ShimExit.DeniedByUser, `sudo (ocsec): request ${d.requestId} was not approved in time; refused`);
    throw new ShimExitError(ShimExit.DeniedByUser, `sudo (ocsec): request ${d.requestId} was ${r.state}${r.reason ? `: ${inertLine(r.reason)}` : ''}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const layout = layoutFor(stateDirFrom(env));
  // The launcher pins the socket it was installed for, so a caller cannot point the shim at a daemon of its own.
  const client = new OcsecClient(env.OCSEC_SOCKET || layout.socketPath);
  const shimDirs = [layout.binDir, ...(env.OCSEC_SHIM_DIR ? [env.OCSEC_SHIM_DIR] : []), dirname(realpathSync(process.argv[1] ?? '.'))];
  const cwd = process.cwd();
  try {
    const parsed = parseSudoArgs(argv, { invokedAs: basename(process.argv[1] ?? 'sudo') === 'sudoedit' ? 'sudoedit' : 'sudo' });
    const realSudo = locateRealSudo({ override: env.OPENCLAW_REAL_SUDO, shimDirs });
    if (!realSudo.ok) {
      await client.call('privilege.refuse', { argv: ['sudo', ...argv], cwd, code: 'invalid-real-sudo', message: realSudo.message }).catch(failClosed);
      throw new ShimExitError(ShimExit.InvalidRealSudo, `sudo (ocsec): ${realSudo.message}`);
    }
    if (isSudoArgsError(parsed)) {
      await client.call('privilege.refuse', { argv: ['sudo', ...argv], cwd, code: 'usage', message: parsed.message }).catch(failClosed);
      throw new ShimExitError(1, parsed.message);
    }

    if (parsed.mode === 'passthrough') {
      const dropsPrivilege = parsed.passthroughReason === 'reset-timestamp' || parsed.passthroughReason === 'remove-timestamp';
      try {
        await client.call('privilege.passthrough', { argv: ['sudo', ...argv], cwd });
      } catch (err) {
        // Forgetting credentials only ever lowers privilege, so it still runs when the daemon is down.
        if (!(dropsPrivilege && isDaemonUnreachable(err))) failClosed(err);
      }
      return (await runSudo(realSudo.path, argv, env)).status;
    }

    const targetUser = parsed.targetUser ?? 'root';
    const canonical = canonicalCommand(parsed, targetUser);
    if ('refused' in canonical) {
      await client.call('privilege.refuse', { argv: ['sudo', ...argv], cwd, code: canonical.code, message: canonical.refused }).catch(failClosed);
      throw new ShimExitError(canonical.status, canonical.refused);
    }

    const tty = openTerminal();
    const reason = sanitizeReason(env.OPENCLAW_PRIV_REASON);
    const sudoArgv = [...parsed.keptOptions, ...canonical.execArgs];
    const request: PrivilegeRequestParams = {
      argv: canonical.argv,
      mode: parsed.mode,
      sudoArgv,
      targetUser,
      targetGroup: parsed.targetGroup,
      envAssignments: parsed.envAssignments,
      preserveEnv: parsed.preserveEnv,
      cwd,
      tty: tty ? ttyName() : null,
      interactive: tty !== null,
      sessionId: env.OPENCLAW_TASK_SESSION_ID || null,
      reason,
      untrustedSource: env.OPENCLAW_UNTRUSTED_SOURCE === '1',
      requireSessionId: env.OPENCLAW_REQUIRE_SESSION_ID === '1',
      requirePolicyFiles: env.OPENCLAW_REQUIRE_POLICY_FILES === '1',
      allowNonInteractive: env.OPENCLAW_ALLOW_NONINTERACTIVE_SUDO === '1',
    };
    let grantId: string;
    try {
      const decision = await client.call('privilege.request', request).catch(failClosed);
      if (decision.decision === 'denied') throw new ShimExitError(decision.exitCode, `sudo (ocsec): ${inertLine(decision.reason)}`);
      if (decision.decision === 'authorized') grantId = decision.grantId;
      else if (tty) grantId = await approveOnTerminal(client, tty, decision, canonical.argv, sudoArgv, targetUser, reason);
      else grantId = await awaitOutOfBand(client, decision);
    } finally {
      tty?.close();
    }

    // Run exactly what the grant was approved for, as the daemon recorded it.
    const begun = await client.call('privilege.begin', { grantId, realSudo: realSudo.path }).catch(failClosed);
    const outcome = await runSudo(realSudo.path, begun.sudoArgv, env);
    const credentialReset = begun.resetAfter ? resetSudoCredentials(realSudo.path, env) : null;
    try {
      await client.call('privilege.finish', { grantId, exitCode: outcome.exitCode, signal: outcome.signal, durationMs: outcome.durationMs, credentialReset });
    } catch (err) {
      // The command already ran; its start is on record. Say that its end could not be.
      say(`ocsec: warning: could not record the command's exit (${(err as Error).message})`);
    }
    return outcome.status;
  } catch (err) {
    if (err instanceof ShimExitError) {
      say(err.message);
      return err.status;
    }
    try {
      failClosed(err);
    } catch (closed) {
      if (closed instanceof ShimExitError) {
        say(closed.message);
        return closed.status;
      }
      say(`sudo (ocsec): internal error, privileged command refused: ${(closed as Error)?.message ?? String(closed)}`);
      return 1;
    }
  } finally {
    client.close();
  }
}

/** The terminal device name, shown to the approver (the daemon binds sessions to the kernel's view, not this). */
function ttyName(): string | null {
  for (const fd of [0, 1, 2]) {
    try {
      const path = realpathSync(`/proc/self/fd/${fd}`);
      if (path.startsWith('/dev/pts/') || path.startsWith('/dev/tty')) return path;
    } catch {
      // not Linux, or the descriptor is closed
    }
  }
  return null;
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    say(`sudo (ocsec): internal error, privileged command refused: ${(err as Error)?.message ?? String(err)}`);
    process.exitCode = 1;
  },
);
