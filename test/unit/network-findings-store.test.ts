// Covers daemon/network/findings-store.ts: the findings lifecycle across samples (added, seen again, removed, back again as a new exposure), the audit events committed with each change, listing, and a rollback when the audit write fails.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../daemon/audit/trail.js';
import { ManualClock } from '../../daemon/clock.js';
import { FindingsStore } from '../../daemon/network/findings-store.js';
import { openStore, type Db } from '../../daemon/store/db.js';
import { silentLogger, tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-findings-');
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  dirs.cleanup();
});

const actor = { uid: 1000, pid: 4242 };

function setup() {
  const dir = dirs.make();
  const { db } = openStore({ path: path.join(dir, 'ocsec.db') });
  dbs.push(db);
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const audit = new AuditTrail(db, path.join(dir, 'audit.jsonl'), clock, silentLogger());
  audit.openMirror();
  const store = new FindingsStore(db);
  const sample = (drafts: Array<{ key: string; type: string; severity: 'medium' | 'high'; port?: number }>) =>
    audit.transact((record) => store.reconcile('ports', drafts, clock.now(), actor, record));
  return { db, clock, audit, store, sample };
}

const A = { key: 'public-bind|tcp|0.0.0.0|8080|node', type: 'public-bind', severity: 'medium' as const, port: 8080 };
const B = { key: 'insecure-port|tcp|0.0.0.0|23|telnetd', type: 'insecure-port', severity: 'high' as const, port: 23 };

describe('FindingsStore', () => {
  it('added, seen again, removed, and back again as a new row; each change is an audit event', () => {
    const { clock, audit, store, sample } = setup();
    const first = sample([A, B]);
    expect(first.changes.map((c) => [c.change, c.finding.key])).toEqual([
      ['added', A.key],
      ['added', B.key],
    ]);
    expect(first.current[0]).toMatchObject({ ...A, first_seen: '2026-01-01T00:00:00.000Z', last_seen: '2026-01-01T00:00:00.000Z', occurrences: 1 });

    clock.advance(60_000);
    const second = sample([A, B]);
    expect(second.changes).toEqual([]);
    expect(second.current[0]).toMatchObject({ first_seen: '2026-01-01T00:00:00.000Z', last_seen: '2026-01-01T00:01:00.000Z', occurrences: 2 });

    clock.advance(60_000);
    const third = sample([A]);
    expect(third.changes).toEqual([{ change: 'removed', finding: expect.objectContaining({ key: B.key, resolved_at: '2026-01-01T00:02:00.000Z', occurrences: 2 }) }]);

    clock.advance(60_000);
    const fourth = sample([A, B]);
    expect(fourth.changes.map((c) => c.change)).toEqual(['added']);
    expect(fourth.current.find((f) => f.key === B.key)).toMatchObject({ first_seen: '2026-01-01T00:03:00.000Z', occurrences: 1 });

    const all = store.list({ monitor: 'ports', state: 'all' });
    expect(all.filter((f) => f.key === B.key).map((f) => f.resolved_at)).toEqual([null, '2026-01-01T00:02:00.000Z']);
    expect(store.list({ state: 'resolved' })).toHaveLength(1);
    expect(store.list({ state: 'open' }).map((f) => f.key).sort()).toEqual([A.key, B.key].sort());
    expect(store.list({ since: '2026-01-01T00:03:00Z', state: 'all' })).toHaveLength(2);

    const events = audit.query({ action: 'network.finding_*', limit: 100 });
    expect(events.map((e) => [e.action, e.subject])).toEqual([
      ['network.finding_added', `ports:${A.key}`],
      ['network.finding_added', `ports:${B.key}`],
      ['network.finding_removed', `ports:${B.key}`],
      ['network.finding_added', `ports:${B.key}`],
    ]);
    expect(events[2]!.data).toMatchObject({ monitor: 'ports', type: 'insecure-port', severity: 'high', port: 23, occurrences: 2, resolved_at: '2026-01-01T00:02:00.000Z' });
    expect(events[0]).toMatchObject({ actor_uid: 1000, actor_pid: 4242 });
    expect(audit.verify().ok).toBe(true);
  });

  it('a failed audit write leaves the findings as they were', () => {
    const { db, store, audit, clock } = setup();
    audit.transact((record) => store.reconcile('ports', [A], clock.now(), actor, record));
    db.exec(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full'); END;`);
    expect(() => audit.transact((record) => store.reconcile('ports', [B], clock.now(), actor, record))).toThrow(/audit event could not be committed/);
    db.exec('DROP TRIGGER refuse_audit');
    expect(store.list({ state: 'all' }).map((f) => [f.key, f.resolved_at])).toEqual([[A.key, null]]);
  });

  it('monitors are separate: an egress sample does not resolve port findings', () => {
    const { store, audit, clock } = setup();
    audit.transact((record) => store.reconcile('ports', [A], clock.now(), actor, record));
    audit.transact((record) => store.reconcile('egress', [], clock.now(), actor, record));
    expect(store.list({ monitor: 'ports' })).toHaveLength(1);
    expect(store.list({ monitor: 'egress', state: 'all' })).toHaveLength(0);
  });
});
