/** `ocsecctl ports`, `ports baseline|approve`, `egress`, `egress allow` and `findings`: the network monitor over RPC. */
import type { Command } from 'commander';
import type { EgressReport, PortReport, StoredFinding } from './network-protocol.js';
import type { ParamsOf } from './protocol.js';
import type { OcsecClient } from './rpc-client.js';
import { inertLine } from './terminal.js';

export interface NetworkCliDeps {
  client(): OcsecClient;
  out(text: string): void;
  setExitCode(code: number): void;
  /** Throws the CLI's usage error (exit 2). */
  usage(message: string): never;
}

/** A sample of 10,000 sockets with attribution takes a while on a busy host. */
const SAMPLE_TIMEOUT_MS = 5 * 60_000;
const FINDINGS_EXIT = 1;

/** `8080`, `8080/tcp`, `53/udp` → port and protocol. */
export function parsePortSpec(spec: string, usage: (m: string) => never): { port: number; protocol: 'tcp' | 'udp' } {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(spec.trim());
  const port = m ? Number(m[1]) : NaN;
  if (!m || port < 1 || port > 65535) usage(`"${spec}" is not PORT or PORT/PROTO (a port is 1-65535, PROTO tcp or udp), e.g. 8080 or 53/udp`);
  return { port, protocol: (m[2]?.toLowerCase() as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function coverageLine(c: NonNullable<PortReport['coverage']>): string {
  return `coverage: ${c.sockets} sockets, ${c.attributed} attributed, ${c.unattributed} owner not visible, ${c.unowned} held by no process (${c.attribution}); ${c.note}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

function severityLabel(s: string): string {
  return s.toUpperCase().padEnd(6);
}

export function formatPortReport(r: PortReport): string[] {
  const lines = [
    inertLine(`Listening ports — ${r.status === 'ok' ? `sampled ${r.generated_at_utc} by ${r.tool}${r.duration_ms !== null ? ` in ${r.duration_ms} ms` : ''}` : `sample FAILED at ${r.generated_at_utc}: ${r.error}`}${r.sample_id !== null ? ` (sample #${r.sample_id})` : ''}`),
  ];
  if (r.fallback_reason) lines.push(inertLine(`fallback: ${r.fallback_reason}`));
  if (r.coverage) lines.push(inertLine(coverageLine(r.coverage)));
  lines.push(
    inertLine(
      `baseline: ${r.approved_file} ${r.baseline.status}${r.baseline.in_force ? ` (${r.approved_rules_count} rules in force)` : ' (nothing in force)'}${r.baseline.problem ? ` — ${r.baseline.problem}` : ''}`,
    ),
  );
  lines.push(inertLine(`gateway port: ${r.gateway.port} (${r.gateway.source === 'default' ? 'default' : r.gateway.path})${r.gateway.problem ? ` — ${r.gateway.problem}` : ''}`));
  if (r.listening_services.length > 0) {
    lines.push('');
    const rows = [['PROTO', 'ADDRESS', 'PORT', 'PID', 'USER', 'COMMAND', 'APPROVED BY']];
    for (const s of r.listening_services) {
      rows.push([s.protocol, bracketed(s.host), String(s.port), s.pid === null ? '-' : String(s.pid), s.user ?? '-', s.owner === 'visible' ? (s.command ?? '?') : `(${s.owner})`, s.approved_by ?? '-']);
    }
    lines.push(...table(rows).map(inertLine));
  }
  lines.push('', r.findings.length === 0 ? 'no findings' : `findings (${r.findings.length}):`);
  for (const f of r.findings) {
    lines.push(inertLine(`${severityLabel(f.severity)} ${f.type.padEnd(15)} ${f.protocol} ${bracketed(f.host)}:${f.port} ${f.command ?? '(owner not visible)'}${f.pid !== null ? ` pid ${f.pid}` : ''} — since ${f.first_seen}, seen ${f.occurrences}x`));
    lines.push(inertLine(`       why: ${f.why}`));
    lines.push(inertLine(`       Fix: ${f.recommendation}`));
  }
  return lines;
}

export function formatEgressReport(r: EgressReport): string[] {
  const lines = [
    inertLine(`Outbound connections — ${r.status === 'ok' ? `sampled ${r.generated_at_utc} by ${r.tool}${r.duration_ms !== null ? ` in ${r.duration_ms} ms` : ''}` : `sample FAILED at ${r.generated_at_utc}: ${r.error}`}${r.sample_id !== null ? ` (sample #${r.sample_id})` : ''}`),
  ];
  if (r.fallback_reason) lines.push(inertLine(`fallback: ${r.fallback_reason}`));
  if (r.coverage) lines.push(inertLine(coverageLine(r.coverage)));
  lines.push(
    inertLine(
      `allowlist: ${r.allowlist_file} ${r.allowlist.status}${r.allowlist.in_force ? ` (${r.allowlist_rules_count} rules in force)` : ' (nothing in force)'}${r.allowlist.problem ? ` — ${r.allowlist.problem}` : ''}`,
    ),
  );
  for (const d of r.dns) lines.push(inertLine(`  ${d.host} → ${d.ips.join(', ') || '(none)'}${d.error ? ` (${d.error})` : ''}`));
  if (r.connections.length > 0) {
    lines.push('');
    const rows = [['PROTO', 'REMOTE', 'PORT', 'NAME', 'PID', 'USER', 'COMMAND', 'ALLOWED BY']];
    for (const c of r.connections) {
      rows.push([c.protocol, bracketed(c.remote_ip), String(c.remote_port), c.resolved ? c.names[0]! : '(unknown)', c.pid === null ? '-' : String(c.pid), c.user ?? '-', c.owner === 'visible' ? (c.command ?? '?') : `(${c.owner})`, c.allowed_by ?? '-']);
    }
    lines.push(...table(rows).map(inertLine));
  }
  lines.push('', r.findings.length === 0 ? 'no findings' : `findings (${r.findings.length}):`);
  for (const f of r.findings) {
    lines.push(inertLine(`${severityLabel(f.severity)} ${f.type} ${f.protocol} ${bracketed(f.remote_ip)}:${f.remote_port} (${f.resolved ? f.remote_host : 'name unknown'}) ${f.command ?? '(owner not visible)'}${f.pid !== null ? ` pid ${f.pid}` : ''} — since ${f.first_seen}, last ${f.last_seen}`));
    lines.push(inertLine(`       why: ${f.why}`));
    lines.push(inertLine(`       Fix: ${f.recommendation}`));
  }
  return lines;
}

function formatStoredFinding(f: StoredFinding): string {
  const d = f.data as Record<string, unknown>;
  const where = f.monitor === 'ports' ? `${String(d.protocol)} ${bracketed(String(d.host))}:${String(d.port)}` : `${String(d.protocol)} ${bracketed(String(d.remote_ip))}:${String(d.remote_port)}`;
  const state = f.resolved_at ? `resolved ${f.resolved_at}` : 'open';
  return inertLine(`#${f.id} ${severityLabel(f.severity)} ${f.type.padEnd(17)} ${where} ${typeof d.command === 'string' ? d.command : '-'}  first ${f.first_seen} last ${f.last_seen} x${f.occurrences}  ${state}`);
}

export function registerNetworkCommands(program: Command, deps: NetworkCliDeps): void {
  const json = (value: unknown) => deps.out(JSON.stringify(value, null, 2));
  const reportExit = (r: PortReport | EgressReport) => {
    if (r.status !== 'ok' || r.findings.length > 0) deps.setExitCode(FINDINGS_EXIT);
  };

  const ports = program
    .command('ports')
    .description('listening ports and their findings (the latest sample; exit 1 when there are findings)')
    .option('--sample', 'take a new sample now instead of showing the latest')
    .option('--json', 'the report as JSON (port-monitor-latest.json)')
    .action(async (opts: { sample?: boolean; json?: boolean }) => {
      const c = deps.client();
      const report = opts.sample ? null : (await c.call('ports.latest')).report;
      const r = report ?? (await c.call('ports.sample', undefined, { timeoutMs: SAMPLE_TIMEOUT_MS }));
      reportExit(r);
      if (opts.json) return json(r);
      for (const line of formatPortReport(r)) deps.out(line);
    });

  ports
    .command('baseline')
    .description('propose approved_ports.json from what listens now (written to a review file); --write replaces approved_ports.json (backed up)')
    .option('--write', 'also write approved_ports.json, keeping the old one as approved_ports.json.bak-<time>')
    .option('--json', 'machine-readable output')
    .action(async (opts: { write?: boolean; json?: boolean }) => {
      const res = await deps.client().call('ports.baseline', { write: opts.write === true }, { timeoutMs: SAMPLE_TIMEOUT_MS });
      if (opts.json) return json(res);
      deps.out(inertLine(`${res.rules.length} rules proposed from the listeners sampled at ${res.sampledAt}; review file: ${res.reviewFile}`));
      for (const r of res.rules) deps.out(inertLine(`  ${String(r.port)}/${String(r.protocol)}  ${typeof r.command === 'string' ? r.command : '(any command)'}  host ${String(r.host ?? '-')}  user ${String(r.user ?? '-')}  pid ${String(r.pid ?? '-')}`));
      if (res.dropped.length > 0) {
        deps.out(inertLine(`${res.dropped.length} rules of the current file match nothing listening now and are not in the proposal:`));
        for (const r of res.dropped) deps.out(inertLine(`  ${JSON.stringify(r)}`));
      }
      if (res.written) deps.out(inertLine(`wrote ${res.approvedFile}${res.backupFile ? ` (previous version: ${res.backupFile})` : ''}`));
      else deps.out(inertLine(`nothing changed; review the file, prune what should not listen, then run \`ocsecctl ports baseline --write\` or copy it to ${res.approvedFile}`));
      deps.out('Exposure beyond loopback stays a public-bind finding until a rule has a "host" for it and a "justification".');
    });

  ports
    .command('approve <ports...>')
    .description('approve listening ports (PORT or PORT/PROTO, e.g. 8080 53/udp) in approved_ports.json')
    .option('--command <name>', 'only for this process name (comm), compared case-insensitively')
    .option('--host <address>', 'the bind address whose exposure is approved ("*" for every interface); needs --justification to silence public-bind')
    .option('--justification <text>', 'why this port is needed (recorded in the rule and the audit trail)')
    .option('--expires <iso>', 'the rule stops approving at this time (ISO 8601)')
    .option('--comment <text>', 'a note kept in the rule')
    .option('--json', 'machine-readable output')
    .action(async (specs: string[], opts: { command?: string; host?: string; justification?: string; expires?: string; comment?: string; json?: boolean }) => {
      if (opts.expires !== undefined && Number.isNaN(Date.parse(opts.expires))) deps.usage(`--expires must be an ISO 8601 time, got "${opts.expires}"`);
      const parsed = specs.map((spec) => parsePortSpec(spec, deps.usage));
      const c = deps.client();
      const results = [];
      for (const { port, protocol } of parsed) {
        const params: ParamsOf<'ports.approve'> = { port, protocol };
        if (opts.command !== undefined) params.command = opts.command;
        if (opts.host !== undefined) params.host = opts.host;
        if (opts.justification !== undefined) params.justification = opts.justification;
        if (opts.expires !== undefined) params.expires = new Date(opts.expires).toISOString();
        if (opts.comment !== undefined) params.comment = opts.comment;
        results.push(await c.call('ports.approve', params));
      }
      if (opts.json) return json(results);
      for (const r of results) deps.out(inertLine(`${r.replaced ? 'updated' : 'added'} rule [${r.index}] in ${r.file}: ${JSON.stringify(r.rule)}`));
    });

  const egress = program
    .command('egress')
    .description('outbound connections and their findings (the latest sample; exit 1 when there are findings)')
    .option('--sample', 'take a new sample now instead of showing the latest')
    .option('--json', 'the report as JSON (egress-monitor-latest.json)')
    .action(async (opts: { sample?: boolean; json?: boolean }) => {
      const c = deps.client();
      const report = opts.sample ? null : (await c.call('egress.latest')).report;
      const r = report ?? (await c.call('egress.sample', undefined, { timeoutMs: SAMPLE_TIMEOUT_MS }));
      reportExit(r);
      if (opts.json) return json(r);
      for (const line of formatEgressReport(r)) deps.out(line);
    });

  egress
    .command('allow')
    .description('allow a destination in egress_allowlist.json: exactly one of --host, --host-regex, --cidr')
    .option('--host <name>', 'a host name (resolved on a schedule) or an IP address')
    .option('--host-regex <re2>', 'an RE2 pattern searched in the remote\'s names (forward-confirmed) and address')
    .option('--cidr <block>', 'an address block, e.g. 10.0.0.0/8 or 2001:db8::/32')
    .option('--port <n>', 'only this remote port')
    .option('--protocol <p>', 'tcp (default) or udp')
    .option('--command <name>', 'only for this process name')
    .option('--comment <text>', 'a note kept in the rule')
    .option('--json', 'machine-readable output')
    .action(async (opts: { host?: string; hostRegex?: string; cidr?: string; port?: string; protocol?: string; command?: string; comment?: string; json?: boolean }) => {
      const destinations = [opts.host, opts.hostRegex, opts.cidr].filter((v) => v !== undefined);
      if (destinations.length !== 1) deps.usage('give exactly one of --host, --host-regex or --cidr');
      const params: ParamsOf<'egress.allow'> = {};
      if (opts.host !== undefined) params.host = opts.host;
      if (opts.hostRegex !== undefined) params.host_regex = opts.hostRegex;
      if (opts.cidr !== undefined) params.cidr = opts.cidr;
      if (opts.port !== undefined) {
        const port = /^\d{1,5}$/.test(opts.port) ? Number(opts.port) : NaN;
        if (!(port >= 1 && port <= 65535)) deps.usage(`--port must be a port number 1-65535, got "${opts.port}"`);
        params.port = port;
      }
      if (opts.protocol !== undefined) {
        const protocol = opts.protocol.toLowerCase();
        if (protocol !== 'tcp' && protocol !== 'udp') deps.usage(`--protocol is tcp or udp, got "${opts.protocol}"`);
        params.protocol = protocol;
      }
      if (opts.command !== undefined) params.command = opts.command;
      if (opts.comment !== undefined) params.comment = opts.comment;
      const r = await deps.client().call('egress.allow', params);
      if (opts.json) return json(r);
      deps.out(inertLine(`${r.replaced ? 'updated' : 'added'} rule [${r.index}] in ${r.file}: ${JSON.stringify(r.rule)}`));
    });

  program
    .command('findings')
    .description('network findings with first/last seen and occurrences (open ones unless --all or --resolved)')
    .option('--monitor <name>', 'ports or egress')
    .option('--all', 'open and resolved')
    .option('--resolved', 'only resolved ones')
    .option('--since <iso>', 'only findings seen at or after this time')
    .option('--limit <n>', 'at most this many (1-1000, default 100)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { monitor?: string; all?: boolean; resolved?: boolean; since?: string; limit?: string; json?: boolean }) => {
      if (opts.monitor !== undefined && opts.monitor !== 'ports' && opts.monitor !== 'egress') deps.usage(`--monitor is ports or egress, got "${opts.monitor}"`);
      if (opts.all && opts.resolved) deps.usage('--all and --resolved are exclusive');
      if (opts.since !== undefined && Number.isNaN(Date.parse(opts.since))) deps.usage(`--since must be an ISO 8601 time, got "${opts.since}"`);
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) deps.usage('--limit must be between 1 and 1000');
      const params: NonNullable<ParamsOf<'findings.list'>> = { state: opts.all ? 'all' : opts.resolved ? 'resolved' : 'open' };
      if (opts.monitor !== undefined) params.monitor = opts.monitor as 'ports' | 'egress';
      if (opts.since !== undefined) params.since = new Date(opts.since).toISOString();
      if (limit !== undefined) params.limit = limit;
      const { findings } = await deps.client().call('findings.list', params);
      if (findings.some((f) => f.resolved_at === null)) deps.setExitCode(FINDINGS_EXIT);
      if (opts.json) return json(findings);
      if (findings.length === 0) return deps.out('no findings');
      for (const f of findings) {
        deps.out(formatStoredFinding(f));
        if (typeof f.data.why === 'string') deps.out(inertLine(`       why: ${f.data.why}`));
      }
    });
}
