/** `ocsecctl assess`, `compliance [show|run|history|waive|unwaive|waivers]`, `dashboard [--open]` and `notify test`: the compliance assessment over RPC. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { formatHistory, formatNotification, formatRun, formatWaiver, hasFindings } from './compliance-format.js';
import type { ComplianceRunResult } from './compliance-protocol.js';
import type { OcsecClient } from './rpc-client.js';
import { inertLine } from './terminal.js';

/** A run samples the network and lists sudo rules; give it time before calling the daemon dead. */
const RUN_TIMEOUT_MS = 5 * 60_000;
const FINDINGS_EXIT = 1;

export interface ComplianceCliDeps {
  client(): OcsecClient;
  out(text: string): void;
  setExitCode(code: number): void;
  /** Throws the CLI's usage error (exit 2). */
  usage(message: string): never;
  /** Asks for the approval factor on the terminal; null when there is no terminal. */
  readFactor(prompt: string): string | null;
  platform: NodeJS.Platform;
}

/** An ISO 8601 time, or a span from now: 30d, 12h, 90m. */
export function parseExpiry(value: string, now: number, usage: (m: string) => never): string {
  const span = /^(\d{1,4})([dhm])$/.exec(value.trim());
  if (span) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[span[2] as 'd' | 'h' | 'm'];
    return new Date(now + Number(span[1]) * unit).toISOString();
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) usage(`--expires must be an ISO 8601 time or a span such as 30d, 12h, 90m; got "${value}"`);
  return new Date(ms).toISOString();
}

function parseLimit(value: string, usage: (m: string) => never): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) usage(`--limit must be an integer from 1 to 1000, got "${value}"`);
  return Number(value);
}

export function registerComplianceCommands(program: Command, deps: ComplianceCliDeps): void {
  const json = (value: unknown) => deps.out(JSON.stringify(value, null, 2));
  const printRun = (r: ComplianceRunResult, asJson?: boolean) => {
    if (hasFindings(r)) deps.setExitCode(FINDINGS_EXIT);
    if (asJson) return json(r);
    for (const line of formatRun(r)) deps.out(line);
  };
  const run = async (opts: { json?: boolean }) => printRun(await deps.client().call('compliance.run', undefined, { timeoutMs: RUN_TIMEOUT_MS }), opts.json);
  const factorIfNeeded = async (c: OcsecClient): Promise<string | undefined> => {
    const f = await c.call('factors.status');
    if (!f.token && !f.totp) return undefined;
    const answer = deps.readFactor(f.totp && f.token ? 'Approval token or TOTP code: ' : f.totp ? 'TOTP code: ' : 'Approval token: ');
    if (answer === null) deps.usage('this needs the approval factor, asked on a terminal; run it interactively');
    return answer;
  };

  program
    .command('assess')
    .description('assess every ISO 27001 / NIST CSF check from live evidence now (exit 1 on a violation, partial or error)')
    .option('--json', 'the run as JSON')
    .action(run);

  const compliance = program.command('compliance').description('compliance assessments: the latest result, runs, history, waivers');
  compliance
    .command('show', { isDefault: true })
    .description('the latest assessment (scheduled or on demand); exit 1 on a violation, partial or error')
    .option('--json', 'the run as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { result } = await deps.client().call('compliance.latest');
      if (!result) {
        deps.setExitCode(FINDINGS_EXIT);
        if (opts.json) return json({ result: null });
        return deps.out('no assessment has run yet: ocsecctl assess (ocsecd also runs one every hour)');
      }
      printRun(result, opts.json);
    });
  compliance.command('run').description('same as ocsecctl assess').option('--json', 'the run as JSON').action(run);
  compliance
    .command('history')
    .description('past runs with their counts, newest first; with --check, that check\'s status per run')
    .option('--limit <n>', 'how many runs (1-1000, default 48)')
    .option('--check <id>', 'one check id')
    .option('--json', 'machine-readable output')
    .action(async (opts: { limit?: string; check?: string; json?: boolean }) => {
      const res = await deps.client().call('compliance.history', { limit: opts.limit ? parseLimit(opts.limit, deps.usage) : undefined, checkId: opts.check });
      if (opts.json) return json(res);
      for (const line of formatHistory(res.runs, res.check, opts.check)) deps.out(line);
    });
  compliance
    .command('waive <check>')
    .description('accept a finding until a date: the check reports "waived" instead of partial/violation (takes effect at the next run)')
    .requiredOption('--justification <text>', 'why the risk is accepted (recorded)')
    .requiredOption('--approver <name>', 'who accepts it')
    .requiredOption('--expires <when>', 'ISO 8601 time, or a span such as 30d (at most 366 days)')
    .option('--json', 'machine-readable output')
    .action(async (check: string, opts: { justification: string; approver: string; expires: string; json?: boolean }) => {
      const c = deps.client();
      const expires = parseExpiry(opts.expires, Date.now(), deps.usage);
      const factor = await factorIfNeeded(c);
      const res = await c.call('compliance.waive', { checkId: check, justification: opts.justification, approver: opts.approver, expires, factor });
      if (opts.json) return json(res);
      deps.out(inertLine(`waiver #${res.waiver.id} for ${res.waiver.checkId} until ${res.waiver.expiresAt}; it applies from the next run (ocsecctl assess)`));
    });
  compliance
    .command('unwaive <id>')
    .description('revoke a waiver before it expires')
    .option('--reason <text>', 'why (recorded)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { reason?: string; json?: boolean }) => {
      if (!/^\d+$/.test(id) || Number(id) < 1) deps.usage(`waiver id must be a positive integer, got "${id}"`);
      const c = deps.client();
      const factor = await factorIfNeeded(c);
      const res = await c.call('compliance.unwaive', { id: Number(id), reason: opts.reason, factor });
      if (opts.json) return json(res);
      deps.out(inertLine(`waiver #${res.waiver.id} for ${res.waiver.checkId} revoked`));
    });
  compliance
    .command('waivers')
    .description('waivers in force (--all: expired and revoked too)')
    .option('--all', 'include expired and revoked waivers')
    .option('--json', 'machine-readable output')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const res = await deps.client().call('compliance.waivers', { all: opts.all });
      if (opts.json) return json(res);
      if (res.waivers.length === 0) return deps.out(opts.all ? 'no waivers' : 'no waivers in force');
      for (const w of res.waivers) for (const line of formatWaiver(w)) deps.out(line);
    });

  program
    .command('dashboard')
    .description('write compliance-dashboard.html again from the latest run and print its path')
    .option('--open', 'open it in the default browser')
    .option('--json', 'machine-readable output')
    .action(async (opts: { open?: boolean; json?: boolean }) => {
      const res = await deps.client().call('compliance.dashboard', undefined, { timeoutMs: RUN_TIMEOUT_MS });
      if (opts.json) json(res);
      else deps.out(inertLine(res.path));
      if (opts.open) {
        const opener = deps.platform === 'darwin' ? '/usr/bin/open' : ['/usr/bin/xdg-open', '/bin/xdg-open'].find((p) => existsSync(p));
        if (!opener || !existsSync(opener)) {
          deps.setExitCode(FINDINGS_EXIT);
          return deps.out(`no ${deps.platform === 'darwin' ? 'open' : 'xdg-open'} to launch a browser; open file://${res.path} yourself`);
        }
        // No shell: the path is one argument whatever it contains.
        spawn(opener, [res.path], { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
      }
    });

  const notify = program.command('notify').description('the violation notifier');
  notify
    .command('test')
    .description('send a test message through the configured notifier (exit 1 unless it is delivered)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const res = await deps.client().call('compliance.notify.test');
      if (res.outcome !== 'delivered') deps.setExitCode(FINDINGS_EXIT);
      if (opts.json) return json(res);
      deps.out(formatNotification(res));
      if (res.notifier) deps.out(inertLine(`notifier: ${JSON.stringify(res.notifier)}${res.exitCode !== null ? `, exit ${res.exitCode}` : ''}${res.durationMs !== null ? `, ${res.durationMs} ms` : ''}`));
    });
}
