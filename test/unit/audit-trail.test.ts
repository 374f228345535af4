// Covers daemon/audit/trail.ts on a real SQLite file: chaining, atomic appends, redaction before hashing, the JSONL mirror, verify() tamper detection and query().
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail, chainHash, GENESIS_HASH, type AuditInput } from '../../daemon/audit/trail.js';
import { ManualClock } from '../../daemon/clock.js';
import { RpcError } from '../../daemon/errors.js';
import { openStore, type Db } from '../../daemon/store/db.js';
import { silentLogger, tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-audit-');
const open: Array<{ trail: AuditTrail; db: Db }> = [];

afterEach(() => {
  for (const { trail, db } of open.splice(0)) {
    trail.closeMirror();
    if (db.open) db.close();
  }
  dirs.cleanup();
});

const actor = { uid: 1000, pid: 4242 };

interface Fixture {
  dir: string;
  dbPath: string;
  mirrorPath: string;
  clock: ManualClock;
  db: Db;
  trail: AuditTrail;
}

function openTrail(dbPath: string, mirrorPath: string, clock: ManualClock, withMirror = true): { db: Db; trail: AuditTrail } {
  const { db } = openStore({ path: dbPath });
  const trail = new AuditTrail(db, mirrorPath, clock, silentLogger());
  open.push({ trail, db });
  if (withMirror) trail.openMirror();
  return { db, trail };
}

/** A fresh trail with `n` events `test.event` {n: i}, one second apart. */
function fixture(n = 0): Fixture {
  const dir = dirs.make();
  const dbPath = path.join(dir, 'ocsec.db');
  const mirrorPath = path.join(dir, 'privileged-audit.jsonl');
  const clock = new ManualClock();
  const { db, trail } = openTrail(dbPath, mirrorPath, clock);
  for (let i = 1; i <= n; i++) {
    trail.append({ action: 'test.event', actor, data: { n: i } });
    clock.advance(1000);
  }
  return { dir, dbPath, mirrorPath, clock, db, trail };
}

/** Closes the daemon's handles, lets `tamper` edit the database with its own connection, then reopens like a restart. */
function tamperDb(f: Fixture, tamper: (raw: Database.Database) => void, reopenMirror = false): AuditTrail {
  f.trail.closeMirror();
  f.db.close();
  const raw = new Database(f.dbPath);
  try {
    tamper(raw);
  } finally {
    raw.close();
  }
  return openTrail(f.dbPath, f.mirrorPath, f.clock, reopenMirror).trail;
}

function mirrorLines(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
}

describe('appending', () => {
  it('chains events: seq 1..n, GENESIS prev_hash first, each prev_hash is the previous hash, hash = chainHash', () => {
    const f = fixture();
    const events = [1, 2, 3, 4].map((i) => f.trail.append({ action: `test.e${i}`, actor, subject: `s${i}`, data: { i } }));
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(events[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    events.forEach((e, i) => {
      if (i > 0) expect(e.prev_hash).toBe(events[i - 1]!.hash);
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(e.hash).toBe(chainHash(e.prev_hash, e));
    });
    expect(new Set(events.map((e) => e.hash)).size).toBe(4);
    expect(f.trail.head()).toEqual({ seq: 4, hash: events[3]!.hash });
    // What is stored is what was returned.
    expect(f.trail.after(0, 10)).toEqual(events);
  });

  it('records the clock time, actor and subject', () => {
    const f = fixture();
    f.clock.advance(90_500);
    const e = f.trail.append({ action: 'daemon.start', actor: { uid: 501, pid: 77 }, subject: 'ocsecd' });
    expect(e).toMatchObject({ ts: '2026-01-01T00:01:30.500Z', actor_uid: 501, actor_pid: 77, action: 'daemon.start', subject: 'ocsecd', data: {} });
  });

  it('continues the chain after a restart', () => {
    const f = fixture(3);
    const head = f.trail.head();
    f.trail.closeMirror();
    f.db.close();
    const { trail } = openTrail(f.dbPath, f.mirrorPath, f.clock);
    expect(trail.head()).toEqual(head);
    const e = trail.append({ action: 'test.after', actor });
    expect(e.seq).toBe(4);
    expect(e.prev_hash).toBe(head.hash);
    expect(trail.verify().ok).toBe(true);
  });

  it('appendMany commits all events in one go and notifies listeners once with the new head', () => {
    const f = fixture(1);
    const heads: number[] = [];
    f.trail.onAppend((h) => heads.push(h));
    const events = f.trail.appendMany([
      { action: 'a', actor },
      { action: 'b', actor },
      { action: 'c', actor },
    ]);
    expect(events.map((e) => [e.seq, e.action])).toEqual([[2, 'a'], [3, 'b'], [4, 'c']]);
    expect(events[0]!.prev_hash).toBe(f.trail.after(0, 1)[0]!.hash);
    expect(heads).toEqual([4]);
    expect(f.trail.appendMany([])).toEqual([]);
    expect(heads).toEqual([4]);
  });

  it.each(['seq', 'hash', 'prev_hash', 'ts_utc', 'action', 'subject', 'actor_uid', 'actor_pid'])(
    'appendMany with reserved data key "%s" in one input throws TypeError and writes nothing',
    (key) => {
      const f = fixture(2);
      const headBefore = f.trail.head();
      const mirrorBefore = fs.readFileSync(f.mirrorPath, 'utf8');
      const inputs: AuditInput[] = [
        { action: 'ok.one', actor, data: { fine: 1 } },
        { action: 'bad.two', actor, data: { [key]: 5 } },
        { action: 'ok.three', actor },
      ];
      expect(() => f.trail.appendMany(inputs)).toThrow(TypeError);
      expect(() => f.trail.appendMany(inputs)).toThrow(`audit data key "${key}" is reserved (action bad.two)`);
      expect(f.db.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(2);
      expect(f.trail.head()).toEqual(headBefore);
      expect(fs.readFileSync(f.mirrorPath, 'utf8')).toBe(mirrorBefore);
    },
  );

  it('appendMany rolls back every event when one fails inside the transaction', () => {
    const f = fixture(2);
    const headBefore = f.trail.head();
    const mirrorBefore = fs.readFileSync(f.mirrorPath, 'utf8');
    const inputs: AuditInput[] = [
      { action: 'ok.one', actor },
      { action: 'bad.two', actor, data: { ratio: Number.NaN } }, // canonical JSON refuses NaN after the first insert
    ];
    let thrown: unknown;
    try {
      f.trail.appendMany(inputs);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RpcError);
    expect((thrown as RpcError).codeName).toBe('AuditWriteFailed');
    expect((thrown as RpcError).message).toMatch(/NaN.*the action was not performed/);
    expect(f.db.prepare('SELECT count(*) FROM audit_events').pluck().get()).toBe(2);
    expect(f.trail.head()).toEqual(headBefore);
    expect(fs.readFileSync(f.mirrorPath, 'utf8')).toBe(mirrorBefore);
    expect(f.trail.append({ action: 'ok.next', actor }).seq).toBe(3);
  });

  it('redacts data before hashing: no secret in the row or the mirror, and the hash verifies', () => {
    const f = fixture();
    const e = f.trail.append({
      action: 'exec.run',
      actor,
      subject: 'curl -H "Authorization: Bearer abcdefgh12345678"',
      data: { argv: ['mysql', '-phunter2'], password: 'hunter2', note: 'key sk-abcdefghijklmnop1234' },
    });
    expect(e.data).toEqual({ argv: ['mysql', '-p[REDACTED]'], password: '[REDACTED]', note: 'key [REDACTED]' });
    expect(e.subject).toBe('curl -H "Authorization: Bearer [REDACTED]"');
    const row = f.db.prepare('SELECT data_json, subject, hash FROM audit_events WHERE seq = 1').get() as { data_json: string; subject: string; hash: string };
    for (const secret of ['hunter2', 'sk-abcdefghijklmnop1234', 'abcdefgh12345678']) {
      expect(row.data_json).not.toContain(secret);
      expect(row.subject).not.toContain(secret);
      expect(fs.readFileSync(f.mirrorPath, 'utf8')).not.toContain(secret);
    }
    expect(row.data_json).toBe('{"argv":["mysql","-p[REDACTED]"],"note":"key [REDACTED]","password":"[REDACTED]"}');
    expect(row.hash).toBe(chainHash(GENESIS_HASH, e));
    expect(f.trail.verify()).toMatchObject({ ok: true, count: 1, firstBreak: null });
  });
});

describe('the JSONL mirror', () => {
  it('has one line per event with ts_utc, action, flattened data, seq and hash; mode 0600', () => {
    const f = fixture();
    const a = f.trail.append({ action: 'exec.run', actor, subject: 'nginx', data: { argv: ['/usr/bin/systemctl', 'restart', 'nginx'], exitCode: 0 } });
    f.clock.advance(5000);
    const b = f.trail.append({ action: 'daemon.stop', actor });
    const lines = mirrorLines(f.mirrorPath);
    expect(lines).toHaveLength(2);
    expect(fs.readFileSync(f.mirrorPath, 'utf8').endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toEqual({
      ts_utc: '2026-01-01T00:00:00.000Z',
      action: 'exec.run',
      argv: ['/usr/bin/systemctl', 'restart', 'nginx'],
      exitCode: 0,
      subject: 'nginx',
      actor_uid: 1000,
      actor_pid: 4242,
      seq: 1,
      prev_hash: GENESIS_HASH,
      hash: a.hash,
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ ts_utc: '2026-01-01T00:00:05.000Z', action: 'daemon.stop', seq: 2, prev_hash: a.hash, hash: b.hash });
    expect(Object.keys(JSON.parse(lines[0]!)).slice(0, 2)).toEqual(['ts_utc', 'action']);
    expect(fs.statSync(f.mirrorPath).mode & 0o777).toBe(0o600);
  });

  it('openMirror on restart appends the lines the mirror lacks', () => {
    const f = fixture(5);
    const full = fs.readFileSync(f.mirrorPath, 'utf8');
    const lines = full.split('\n').filter(Boolean);
    const reopened = tamperDb(f, () => undefined);
    fs.writeFileSync(f.mirrorPath, lines.slice(0, 3).join('\n') + '\n');
    expect(reopened.verify().firstBreak).toMatchObject({ seq: 4, kind: 'mirror-behind' });
    reopened.openMirror();
    expect(fs.readFileSync(f.mirrorPath, 'utf8')).toBe(full);
    expect(reopened.verify()).toMatchObject({ ok: true, mirror: { lines: 5, lastSeq: 5 } });
  });

  it('openMirror on restart removes a torn last line (no trailing newline) and rewrites it whole', () => {
    const f = fixture(4);
    const full = fs.readFileSync(f.mirrorPath, 'utf8');
    const lines = full.split('\n').filter(Boolean);
    const reopened = tamperDb(f, () => undefined);
    fs.writeFileSync(f.mirrorPath, lines.slice(0, 3).join('\n') + '\n' + lines[3]!.slice(0, 25));
    reopened.openMirror();
    expect(fs.readFileSync(f.mirrorPath, 'utf8')).toBe(full);
    expect(reopened.verify().ok).toBe(true);
  });

  it('openMirror creates a missing mirror from the database', () => {
    const f = fixture(3);
    const full = fs.readFileSync(f.mirrorPath, 'utf8');
    const reopened = tamperDb(f, () => undefined);
    fs.rmSync(f.mirrorPath);
    expect(reopened.verify().firstBreak).toMatchObject({ seq: 1, kind: 'mirror-behind' });
    reopened.openMirror();
    expect(fs.readFileSync(f.mirrorPath, 'utf8')).toBe(full);
    expect(fs.statSync(f.mirrorPath).mode & 0o777).toBe(0o600);
  });
});

describe('verify()', () => {
  it('is ok on a clean chain and reports count, head and mirror', () => {
    const f = fixture(5);
    const head = f.trail.head();
    expect(f.trail.verify()).toEqual({
      ok: true,
      count: 5,
      headSeq: 5,
      headHash: head.hash,
      mirror: { path: f.mirrorPath, lines: 5, lastSeq: 5 },
      firstBreak: null,
    });
  });

  it('is ok on an empty trail', () => {
    const f = fixture(0);
    expect(f.trail.verify()).toMatchObject({ ok: true, count: 0, headSeq: 0, headHash: GENESIS_HASH, firstBreak: null });
  });

  it('(a) a changed row (update trigger dropped) is the first break: changed at seq 3', () => {
    const f = fixture(5);
    const trail = tamperDb(f, (raw) => {
      raw.exec('DROP TRIGGER audit_events_no_update');
      expect(raw.prepare(`UPDATE audit_events SET data_json = '{"n":33}' WHERE seq = 3`).run().changes).toBe(1);
    });
    const report = trail.verify();
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ seq: 3, kind: 'changed' });
    expect(report.count).toBe(5);
    expect(report.headSeq).toBe(2); // the last row that still verifies
    expect(report.headHash).toBe(trail.after(1, 1)[0]!.hash);
  });

  it('(b) a deleted row (delete trigger dropped) is the first break: missing at seq 3', () => {
    const f = fixture(5);
    const trail = tamperDb(f, (raw) => {
      raw.exec('DROP TRIGGER audit_events_no_delete');
      expect(raw.prepare('DELETE FROM audit_events WHERE seq = 3').run().changes).toBe(1);
    });
    const report = trail.verify();
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ seq: 3, kind: 'missing' });
    expect(report.firstBreak!.reason).toContain('seq 4');
    expect(report.count).toBe(4);
  });

  it('(b2) a re-linked row is the first break: relinked at seq 3', () => {
    const f = fixture(5);
    const trail = tamperDb(f, (raw) => {
      raw.exec('DROP TRIGGER audit_events_no_update');
      raw.prepare(`UPDATE audit_events SET prev_hash = ? WHERE seq = 3`).run('f'.repeat(64));
    });
    expect(trail.verify().firstBreak).toMatchObject({ seq: 3, kind: 'relinked' });
  });

  it('(c) the last two rows deleted from the database only: truncated-tail at the first seq only the mirror has', () => {
    const f = fixture(5);
    const mirrorHash4 = JSON.parse(mirrorLines(f.mirrorPath)[3]!).hash as string;
    const trail = tamperDb(f, (raw) => {
      raw.exec('DROP TRIGGER audit_events_no_delete');
      expect(raw.prepare('DELETE FROM audit_events WHERE seq > 3').run().changes).toBe(2);
    });
    const report = trail.verify();
    expect(report.ok).toBe(false);
    expect(report.count).toBe(3);
    expect(report.firstBreak).toMatchObject({ seq: 4, kind: 'truncated-tail' });
    expect(report.firstBreak!.reason).toContain('the mirror records seq 4');
    expect(report.firstBreak!.reason).toContain(mirrorHash4.slice(0, 16));
    expect(report.firstBreak!.reason).toContain('the database ends at seq 3');
  });

  it('(d) an edited mirror line is a mirror-mismatch at that seq', () => {
    const f = fixture(5);
    const lines = mirrorLines(f.mirrorPath);
    const edited = JSON.parse(lines[1]!) as Record<string, unknown>;
    edited.n = 222;
    lines[1] = JSON.stringify(edited);
    fs.writeFileSync(f.mirrorPath, lines.join('\n') + '\n');
    const report = f.trail.verify();
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ seq: 2, kind: 'mirror-mismatch' });
    expect(report.firstBreak!.reason).toContain('the line was edited');
    expect(report.headSeq).toBe(5); // the database itself is intact
  });

  it('(d2) a mirror line that is not JSON is a mirror-mismatch', () => {
    const f = fixture(3);
    const lines = mirrorLines(f.mirrorPath);
    lines[2] = '{not json';
    fs.writeFileSync(f.mirrorPath, lines.join('\n') + '\n');
    expect(f.trail.verify().firstBreak).toMatchObject({ seq: 3, kind: 'mirror-mismatch' });
  });

  it('(e) a mirror truncated by one line is mirror-behind at the missing seq', () => {
    const f = fixture(5);
    const lines = mirrorLines(f.mirrorPath);
    fs.writeFileSync(f.mirrorPath, lines.slice(0, 4).join('\n') + '\n');
    const report = f.trail.verify();
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({ seq: 5, kind: 'mirror-behind' });
    expect(report.mirror).toEqual({ path: f.mirrorPath, lines: 4, lastSeq: 4 });
  });

  it('reports the earliest break when the database and the mirror both break', () => {
    const f = fixture(5);
    const trail = tamperDb(f, (raw) => {
      raw.exec('DROP TRIGGER audit_events_no_update');
      raw.prepare(`UPDATE audit_events SET action = 'x' WHERE seq = 4`).run();
    });
    const lines = mirrorLines(f.mirrorPath);
    fs.writeFileSync(f.mirrorPath, lines.slice(0, 2).join('\n') + '\n');
    expect(trail.verify().firstBreak).toMatchObject({ seq: 3, kind: 'mirror-behind' });
  });
});

describe('query()', () => {
  function queryFixture(): Fixture {
    const f = fixture();
    const actions = ['daemon.start', 'exec.run', 'exec.deny', 'policy.load', 'exec.run', 'audit_x.check', 'auditXx.check'];
    for (const action of actions) {
      f.trail.append({ action, actor });
      f.clock.advance(60_000); // events at 00:00, 00:01, ... 00:06
    }
    return f;
  }
  const seqs = (f: Fixture, q: Parameters<AuditTrail['query']>[0]) => f.trail.query(q).map((e) => e.seq);

  it.each<[string, Parameters<AuditTrail['query']>[0], number[]]>([
    ['everything', { limit: 100 }, [1, 2, 3, 4, 5, 6, 7]],
    ['afterSeq', { afterSeq: 4, limit: 100 }, [5, 6, 7]],
    ['since (inclusive)', { since: '2026-01-01T00:03:00.000Z', limit: 100 }, [4, 5, 6, 7]],
    ['since with a time zone offset', { since: '2026-01-01T01:05:00+01:00', limit: 100 }, [6, 7]],
    ['exact action', { action: 'exec.run', limit: 100 }, [2, 5]],
    ['exact action does not prefix-match', { action: 'exec', limit: 100 }, []],
    ['prefix exec*', { action: 'exec*', limit: 100 }, [2, 3, 5]],
    ['prefix with a literal underscore', { action: 'audit_*', limit: 100 }, [6]],
    ['limit', { limit: 2 }, [1, 2]],
    ['afterSeq + prefix + limit', { afterSeq: 2, action: 'exec*', limit: 1 }, [3]],
    ['since + exact action', { since: '2026-01-01T00:02:00Z', action: 'exec.run', limit: 100 }, [5]],
    ['afterSeq past the head', { afterSeq: 7, limit: 100 }, []],
  ])('%s', (_name, q, expected) => {
    expect(seqs(queryFixture(), q)).toEqual(expected);
  });

  it('a prefix filter is case-sensitive, like an exact one', () => {
    const f = fixture();
    f.trail.append({ action: 'exec.run', actor });
    f.trail.append({ action: 'EXEC.run', actor });
    expect(f.trail.query({ action: 'exec*', limit: 10 }).map((e) => e.action)).toEqual(['exec.run']);
    expect(f.trail.query({ action: 'EXEC*', limit: 10 }).map((e) => e.action)).toEqual(['EXEC.run']);
  });

  it('returns whole events equal to what append returned', () => {
    const f = fixture();
    const e = f.trail.append({ action: 'exec.run', actor, subject: 's', data: { argv: ['ls'] } });
    expect(f.trail.query({ action: 'exec.run', limit: 1 })).toEqual([e]);
  });
});
