/**
 * What the notifier is told: the run's open items diffed against what it was last told (new,
 * escalated partial→violation, resolved), or the network monitor's added and removed findings; and
 * the message itself, as text or JSON, with untrusted strings made inert.
 */
import type { ComplianceNetworkFinding } from '../../client/compliance-protocol.js';
import { inertLine } from '../../client/terminal.js';
import type { CheckResult } from './assess.js';

export interface NotifyItem {
  key: string;
  kind: 'check' | 'network';
  title: string;
  status: string;
  risk: string;
  detail: string;
  fix: string;
  owner: string | null;
  due: string | null;
  previous: string | null;
}

export interface NotificationDiff {
  added: NotifyItem[];
  escalated: NotifyItem[];
  resolved: NotifyItem[];
  /** Open items as they should be remembered once delivered (de-escalations included, silently). */
  open: Array<{ key: string; status: string; risk: string }>;
  /** Keys to forget once delivered. */
  forget: string[];
}

const OPEN = new Set(['violation', 'partial']);
/** Statuses that mean an item is gone; `error` says nothing about it, so it stays as it was. */
const CLOSED = new Set(['compliant', 'not_applicable', 'waived']);

function checkItem(r: CheckResult, previous: string | null): NotifyItem {
  return {
    key: `check:${r.check_id}`,
    kind: 'check',
    title: r.check_id,
    status: r.status,
    risk: r.risk,
    detail: r.evidence,
    fix: r.mitigation,
    owner: r.owner,
    due: r.due_date,
    previous,
  };
}

export function diffChecks(results: readonly CheckResult[], notified: ReadonlyMap<string, { status: string; risk: string }>, onPartial: boolean): NotificationDiff {
  const diff: NotificationDiff = { added: [], escalated: [], resolved: [], open: [], forget: [] };
  for (const r of results) {
    const key = `check:${r.check_id}`;
    const before = notified.get(key);
    const isOpen = r.status === 'violation' || (onPartial && r.status === 'partial');
    if (isOpen) {
      if (!before) diff.added.push(checkItem(r, null));
      else if (before.status === 'partial' && r.status === 'violation') diff.escalated.push(checkItem(r, before.status));
      diff.open.push({ key, status: r.status, risk: r.risk });
    } else if (before && OPEN.has(before.status) && (CLOSED.has(r.status) || (r.status === 'partial' && !onPartial))) {
      diff.resolved.push({ ...checkItem(r, before.status), detail: r.status === 'waived' ? `waived until ${r.waiver?.expires_at ?? '?'} by ${r.waiver?.approver ?? '?'}` : r.observed_state });
      diff.forget.push(key);
    }
  }
  return diff;
}

export function isEmpty(diff: Pick<NotificationDiff, 'added' | 'escalated' | 'resolved'>): boolean {
  return diff.added.length === 0 && diff.escalated.length === 0 && diff.resolved.length === 0;
}

export function networkItem(f: ComplianceNetworkFinding, key: string): NotifyItem {
  const where = f.monitor === 'ports' ? `${f.protocol} ${f.bind ?? '?'}:${f.port}` : `${f.protocol} → ${f.remote ?? '?'}:${f.port}`;
  return {
    key: `network:${f.monitor}:${key}`,
    kind: 'network',
    title: `${f.monitor} ${f.type}`,
    status: 'finding',
    risk: f.severity,
    detail: `${where} ${f.process ?? '(owner not visible)'}${f.pid !== null ? ` pid ${f.pid}` : ''} — ${f.why}`,
    fix: f.recommendation,
    owner: null,
    due: null,
    previous: null,
  };
}

export interface MessageContext {
  host: string;
  stateDir: string;
  source: string;
  at: string;
  dashboard: string | null;
}

function itemLines(label: string, item: NotifyItem): string[] {
  const head = `${label} ${item.title} ${item.status}${item.previous && item.previous !== item.status ? ` (was ${item.previous})` : ''} ${item.risk} — ${item.detail}`;
  const fix = item.fix ? `  Fix: ${item.fix}${item.owner ? ` (${item.owner}${item.due ? `, due ${item.due}` : ''})` : ''}` : null;
  return [inertLine(head), ...(fix ? [inertLine(fix)] : [])];
}

export function formatMessage(diff: Pick<NotificationDiff, 'added' | 'escalated' | 'resolved'>, ctx: MessageContext, format: 'text' | 'json'): string {
  if (format === 'json') {
    return JSON.stringify({ source: 'ocsec', host: ctx.host, state_dir: ctx.stateDir, trigger: ctx.source, at: ctx.at, dashboard: ctx.dashboard, added: diff.added, escalated: diff.escalated, resolved: diff.resolved }) + '\n';
  }
  const counts = [`${diff.added.length} new`, `${diff.escalated.length} escalated`, `${diff.resolved.length} resolved`].join(', ');
  const lines = [inertLine(`ocsec on ${ctx.host} (${ctx.stateDir}): ${counts} — ${ctx.source} at ${ctx.at}`)];
  for (const i of diff.escalated) lines.push(...itemLines('ESCALATED', i));
  for (const i of diff.added) lines.push(...itemLines('NEW', i));
  for (const i of diff.resolved) lines.push(...itemLines('RESOLVED', i));
  if (ctx.dashboard) lines.push(inertLine(`Dashboard: ${ctx.dashboard}`));
  return lines.join('\n') + '\n';
}
