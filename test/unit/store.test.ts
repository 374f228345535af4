// Covers daemon/store/db.ts: migrations, refusing newer or corrupt databases without touching them, append-only triggers, file mode and pragmas.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openStore, readMigrations, schemaVersion, StoreOpenError, type Migration } from '../../daemon/store/db.js';
import { tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-store-');
afterEach(() => dirs.cleanup());

const repoMigrationsDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../migrations');

const m1: Migration = { version: 1, name: 'widgets', sql: 'CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT;' };
const m2: Migration = { version: 2, name: 'widget_colour', sql: "ALTER TABLE widgets ADD COLUMN colour TEXT NOT NULL DEFAULT 'red';" };

function dbPath(): string {
  return path.join(dirs.make(), 'ocsec.db');
}

/** Everything that tells whether a file was touched: bytes, size, inode, mtime. */
function snapshot(file: string): { bytes: Buffer; ino: number; mtimeMs: number; size: number } {
  const st = fs.statSync(file);
  return { bytes: fs.readFileSync(file), ino: st.ino, mtimeMs: st.mtimeMs, size: st.size };
}

function expectUnchanged(file: string, before: ReturnType<typeof snapshot>): void {
  const after = snapshot(file);
  expect(after.ino, 'the file was recreated').toBe(before.ino);
  const changed: number[] = [];
  for (let i = 0; i < Math.max(before.bytes.length, after.bytes.length); i++) if (before.bytes[i] !== after.bytes[i]) changed.push(i);
  expect(changed, 'byte offsets that changed').toEqual([]);
  expect(after.size).toBe(before.size);
  expect(after.mtimeMs, 'mtime changed').toBe(before.mtimeMs);
}

function catchStoreError(fn: () => unknown): StoreOpenError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreOpenError);
    return err as StoreOpenError;
  }
  throw new Error('expected a StoreOpenError, nothing was thrown');
}

describe('migrations', () => {
  it('a fresh database gets user_version = number of migration files and the audit_events table', () => {
    const files = fs.readdirSync(repoMigrationsDir).filter((f) => f.endsWith('.sql'));
    expect(files.length).toBeGreaterThan(0);
    const { db, migratedFrom, schemaVersion: version } = openStore({ path: dbPath() });
    try {
      expect(migratedFrom).toBe(0);
      expect(version).toBe(files.length);
      expect(schemaVersion(db)).toBe(files.length);
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['audit_events', 'daemon_meta']));
      const triggers = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name").pluck().all();
      expect(triggers).toEqual(['audit_events_no_delete', 'audit_events_no_update']);
    } finally {
      db.close();
    }
  });

  it('upgrades from 1 to 2 applying only the new migration', () => {
    const file = dbPath();
    const first = openStore({ path: file, migrations: [m1] });
    expect(first.migratedFrom).toBe(0);
    expect(first.schemaVersion).toBe(1);
    first.db.prepare('INSERT INTO widgets (name) VALUES (?)').run('w1');
    first.db.close();

    // If migration 1 ran again its CREATE TABLE would fail; the row must survive and gain the new column.
    const second = openStore({ path: file, migrations: [m1, m2] });
    try {
      expect(second.migratedFrom).toBe(1);
      expect(second.schemaVersion).toBe(2);
      expect(schemaVersion(second.db)).toBe(2);
      expect(second.db.prepare('SELECT id, name, colour FROM widgets').all()).toEqual([{ id: 1, name: 'w1', colour: 'red' }]);
    } finally {
      second.db.close();
    }
  });

  it('migrate() on an up-to-date database changes nothing', () => {
    const db = new Database(':memory:');
    try {
      expect(migrate(db, ':memory:', [m1, m2])).toEqual({ from: 0, to: 2 });
      expect(migrate(db, ':memory:', [m1, m2])).toEqual({ from: 2, to: 2 });
      expect(schemaVersion(db)).toBe(2);
    } finally {
      db.close();
    }
  });

  it('a failing migration rolls back and leaves user_version at the last good one', () => {
    const db = new Database(':memory:');
    const bad: Migration = { version: 2, name: 'bad', sql: 'CREATE TABLE half (x); SELECT * FROM no_such_table;' };
    try {
      expect(() => migrate(db, ':memory:', [m1, bad])).toThrow(/no_such_table/);
      expect(schemaVersion(db)).toBe(1);
      expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half'").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it.each([
    ['created by openStore (WAL)', true],
    ['in rollback-journal mode', false],
  ])('a database with a newer schema (%s) is refused naming both versions and left unchanged', (_name, viaOpenStore) => {
    const file = dbPath();
    if (viaOpenStore) openStore({ path: file, migrations: [m1] }).db.close();
    const raw = new Database(file);
    if (!viaOpenStore) raw.exec(m1.sql);
    raw.pragma('user_version = 7');
    raw.close();
    const before = snapshot(file);

    const err = catchStoreError(() => openStore({ path: file, migrations: [m1, m2] }));
    expect(err.message).toContain('schema version 7');
    expect(err.message).toContain('(2)');
    expect(err.message).toContain(file);
    expectUnchanged(file, before);
  });

  it('readMigrations reads the repository migrations in order', () => {
    const ms = readMigrations(repoMigrationsDir);
    expect(ms.map((m) => m.version)).toEqual(ms.map((_, i) => i + 1));
    expect(ms[0]).toMatchObject({ version: 1, name: 'audit_trail' });
    expect(ms[0]!.sql).toContain('CREATE TABLE audit_events');
  });

  it.each<[string, string[], RegExp]>([
    ['a gap in numbering', ['0001_a.sql', '0003_c.sql'], /migration 0002 is missing \(found 3 c\)/],
    ['numbering not starting at 1', ['0002_b.sql'], /migration 0001 is missing/],
    ['a badly named file (no number)', ['0001_a.sql', 'second.sql'], /second\.sql: migration files are named NNNN_name\.sql/],
    ['a badly named file (upper case)', ['0001_Init.sql'], /0001_Init\.sql: migration files are named/],
    ['a badly named file (three digits)', ['001_init.sql'], /001_init\.sql: migration files are named/],
  ])('readMigrations rejects %s', (_name, files, message) => {
    const dir = dirs.make();
    for (const f of files) fs.writeFileSync(path.join(dir, f), 'SELECT 1;');
    expect(() => readMigrations(dir)).toThrow(message);
  });

  it('readMigrations ignores files that are not .sql', () => {
    const dir = dirs.make();
    fs.writeFileSync(path.join(dir, '0001_a.sql'), 'SELECT 1;');
    fs.writeFileSync(path.join(dir, 'README.md'), 'notes');
    expect(readMigrations(dir).map((m) => `${m.version}:${m.name}`)).toEqual(['1:a']);
  });
});

describe('refusing damaged files', () => {
  it('random bytes: refused as not a usable SQLite database, file untouched', () => {
    const file = dbPath();
    fs.writeFileSync(file, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) & 0xff)), { mode: 0o600 });
    const before = snapshot(file);
    const err = catchStoreError(() => openStore({ path: file }));
    expect(err.message).toMatch(/not a usable SQLite database|integrity_check/);
    expect(err.message).toContain('has not been modified');
    expectUnchanged(file, before);
  });

  it('a real database with a later page overwritten: refused, file untouched', () => {
    const file = dbPath();
    const { db } = openStore({ path: file });
    const insert = db.prepare(
      `INSERT INTO audit_events (seq, ts, actor_uid, actor_pid, action, subject, data_json, prev_hash, hash)
       VALUES (?, '2026-01-01T00:00:00.000Z', 1000, 1, 'test.fill', '', ?, ?, ?)`,
    );
    db.transaction(() => {
      for (let i = 1; i <= 400; i++) insert.run(i, JSON.stringify({ pad: 'x'.repeat(200), i }), String(i - 1).padStart(64, '0'), String(i).padStart(64, '0'));
    })();
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const pages = fs.statSync(file).size / pageSize;
    expect(pages).toBeGreaterThan(10);
    expect(fs.existsSync(`${file}-wal`)).toBe(false); // everything is in the main file

    // Overwrite the b-tree header and cell pointers of a page near the end (never page 1, the file header).
    const victim = pages - 2;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, victim * pageSize);
    fs.closeSync(fd);
    const before = snapshot(file);

    const err = catchStoreError(() => openStore({ path: file }));
    expect(err.message).toMatch(/integrity_check|not a usable SQLite database/);
    expect(err.message).toContain('has not been modified');
    expect(err.message).toContain(`mv ${file} ${file}.corrupt`);
    expectUnchanged(file, before);
  });
});

describe('the opened store', () => {
  it.each([
    ['UPDATE', "UPDATE audit_events SET action = 'x' WHERE seq = 1", /append-only: UPDATE refused/],
    ['DELETE', 'DELETE FROM audit_events WHERE seq = 1', /append-only: DELETE refused/],
  ])('%s on audit_events is refused by a trigger', (_name, sql, message) => {
    const { db } = openStore({ path: dbPath() });
    try {
      db.prepare(
        `INSERT INTO audit_events (seq, ts, actor_uid, actor_pid, action, data_json, prev_hash, hash)
         VALUES (1, 't', 1, 1, 'a', '{}', 'p', 'h')`,
      ).run();
      expect(() => db.prepare(sql).run()).toThrow(message);
      expect(db.prepare('SELECT action FROM audit_events').pluck().all()).toEqual(['a']);
    } finally {
      db.close();
    }
  });

  it('creates the database file with mode 0600', () => {
    const file = dbPath();
    const { db } = openStore({ path: file });
    try {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      db.close();
    }
  });

  it('has WAL, synchronous=FULL, foreign_keys on and exclusive locking by default', () => {
    const { db } = openStore({ path: dbPath() });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('locking_mode', { simple: true })).toBe('exclusive');
    } finally {
      db.close();
    }
  });

  it('exclusive: false keeps normal locking', () => {
    const { db } = openStore({ path: dbPath(), exclusive: false });
    try {
      expect(db.pragma('locking_mode', { simple: true })).toBe('normal');
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});
