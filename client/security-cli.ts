/** `ocsecctl security audit`: asks ocsecd to audit the OpenClaw installation and prints the report, SARIF, fixes and baseline changes. */
import type { Command } from 'commander';
import type { OcsecClient } from './rpc-client.js';
import { BaselineFileError, diffBaselines, readBaselineFile, writeBaselineFile, type BaselineChange } from './security-baseline.js';
import { formatBaselineDiff, formatReportText, toSarif } from './security-format.js';
import { DEFAULT_SECURITY_SCOPES, SECURITY_SCOPES, type BaselineSnapshot, type SecurityScope } from './security-report.js';
import { inertLine } from './terminal.js';

/** A long deep scan (many skills, npm audit) must not look like a dead daemon. */
const AUDIT_TIMEOUT_MS = 10 * 60_000;

export interface SecurityCliDeps {
  client(): OcsecClient;
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
  /** Throws the CLI's usage error (exit 2). */
  usage(message: string): never;
  version: string;
}

interface AuditOptions {
  deep?: boolean;
  scope?: string;
  fix?: boolean;
  dryRun?: boolean;
  json?: boolean;
  sarif?: boolean;
  exportBaseline?: string;
  compareBaseline?: string;
}

export function parseScopes(value: string, usage: (m: string) => never): SecurityScope[] {
  const asked = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (asked.length === 0) usage('--scope needs at least one of ' + SECURITY_SCOPES.join(','));
  const unknown = asked.filter((s) => !(SECURITY_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) usage(`--scope: unknown scope ${unknown.map((s) => `"${s}"`).join(', ')} (choose from ${SECURITY_SCOPES.join(',')})`);
  return SECURITY_SCOPES.filter((s) => asked.includes(s));
}

export function registerSecurityCommands(program: Command, deps: SecurityCliDeps): void {
  const security = program.command('security').description('audit the OpenClaw installation (openclaw.json, permissions, secrets, skills, ...)');
  security
    .command('audit')
    .description('audit the OpenClaw installation; exit 1 when a critical or high finding remains')
    .option('--deep', 'also scan every installed skill for red flags, and run npm audit when it can work offline')
    .option('--scope <list>', `comma-separated: ${SECURITY_SCOPES.join(',')} (default: all but skills)`)
    .option('--fix', 'apply the safe, reversible fixes (tightening chmods only; never edits openclaw.json)')
    .option('--dry-run', 'with --fix: print the chmods without changing anything')
    .option('--json', 'the report as JSON')
    .option('--sarif', 'the skills scan as SARIF 2.1.0 (implies scanning skills)')
    .option('--export-baseline <file>', 'write a baseline snapshot to FILE (mode 600) for a later --compare-baseline')
    .option('--compare-baseline <file>', 'print what changed since the baseline in FILE')
    .addHelpText('after', '\nExit codes: 0 no critical or high finding, 1 otherwise (or the daemon refused), 2 usage error, 3 ocsecd unreachable.')
    .action(async (opts: AuditOptions) => {
      if (opts.json && opts.sarif) deps.usage('--json and --sarif are exclusive');
      if (opts.dryRun && !opts.fix) deps.usage('--dry-run goes with --fix');
      let scope = opts.scope !== undefined ? parseScopes(opts.scope, deps.usage) : undefined;
      if (opts.fix && scope && !scope.includes('permissions')) deps.usage('--fix changes file modes: its --scope must include permissions');
      if (opts.sarif) {
        const base = scope ?? (opts.deep ? [...SECURITY_SCOPES] : [...DEFAULT_SECURITY_SCOPES]);
        if (!base.includes('skills')) scope = SECURITY_SCOPES.filter((s) => s === 'skills' || base.includes(s));
      }

      // Read the old baseline first: a bad file is a usage error, found before anything runs or changes.
      let before: BaselineSnapshot | null = null;
      if (opts.compareBaseline) {
        try {
          before = readBaselineFile(opts.compareBaseline);
        } catch (e) {
          if (e instanceof BaselineFileError) deps.usage(e.message);
          throw e;
        }
      }

      const c = deps.client();
      const result = await c.call('security.audit', { deep: opts.deep === true, scope, fix: opts.fix === true, dryRun: opts.dryRun === true }, { timeoutMs: AUDIT_TIMEOUT_MS });
      let changes: BaselineChange[] | null = null;
      let exported: string | null = null;
      if (opts.exportBaseline || before) {
        const snapshot = await c.call('security.baseline', undefined, { timeoutMs: AUDIT_TIMEOUT_MS });
        if (before) changes = diffBaselines(before, snapshot);
        if (opts.exportBaseline) {
          try {
            writeBaselineFile(opts.exportBaseline, snapshot);
          } catch (e) {
            deps.err(`ocsecctl: cannot write the baseline ${inertLine(opts.exportBaseline)}: ${inertLine((e as Error).message)}`);
            deps.setExitCode(1);
            return;
          }
          exported = opts.exportBaseline;
        }
      }

      const s = result.report.summary;
      deps.setExitCode(s.critical > 0 || s.high > 0 ? 1 : 0);
      if (opts.sarif) return deps.out(JSON.stringify(toSarif(result, deps.version), null, 2));
      if (opts.json) {
        const baseline = exported || changes ? { baseline: { exported, compared: opts.compareBaseline ?? null, changes: changes ?? [] } } : {};
        return deps.out(JSON.stringify({ ...result.report, ...baseline }, null, 2));
      }
      deps.out(formatReportText(result));
      if (changes && before) deps.out('\n' + formatBaselineDiff(changes, opts.compareBaseline!, before.created_at));
      if (exported) deps.out(`\nBaseline written to ${inertLine(exported)} (compare later with --compare-baseline ${inertLine(exported)})`);
    });

  security
    .command('latest')
    .description('the most recent stored audit (a manual run or the daily one)')
    .option('--json', 'the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { result } = await deps.client().call('security.latest');
      if (!result) {
        deps.setExitCode(1);
        return deps.err('ocsecctl: no security audit has run yet: ocsecctl security audit');
      }
      const s = result.report.summary;
      deps.setExitCode(s.critical > 0 || s.high > 0 ? 1 : 0);
      if (opts.json) return deps.out(JSON.stringify(result.report, null, 2));
      deps.out(`(run #${result.runId}, ${result.trigger})\n` + formatReportText(result));
    });
}
