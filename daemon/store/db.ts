/** Opens the daemon's SQLite database: integrity first, exclusive WAL, FULL sync, numbered migrations. */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRIVATE_FILE_MODE } from '../../client/layout.js';

export type Db = Database.Database;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class StoreOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreOpenError';
  }
}

/** migrations/ sits at the package root; compiled code runs from dist/daemon/store/. */
export function defaultMigrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('migrations/ not found above ' + fileURLToPath(import.meta.url));
}

const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function readMigrations(dir = defaultMigrationsDir()): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const m = MIGRATION_FILE.exec(file);
      if (!m) throw new Error(`${join(dir, file)}: migration files are named NNNN_name.sql`);
      return { version: Number(m[1]), name: m[2]!, sql: readFileSync(join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${dir}: migration ${String(i + 1).padStart(4, '0')} is missing (found ${m.version} ${m.name})`);
  });
  return migrations;
}

function describeOpenFailure(path: string, err: unknown): StoreOpenError {
  const code = (err as { code?: string }).code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StoreOpenError(
      `${path} is not a usable SQLite database (${msg}). It has not been modified. ` +
        `Move it aside (mv ${path} ${path}.corrupt) to start a fresh one, or restore a backup.`,
    );
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new StoreOpenError(`${path} is locked by another process (is another ocsecd running on this state dir?)`);
  }
  return new StoreOpenError(`cannot open ${path}: ${msg}`);
}

/** Runs integrity_check; throws with its result when the file is damaged. Never repairs or recreates. */
export function assertIntegrity(db: Db, path: string): void {
  const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
  const messages = rows.map((r) => r.integrity_check);
  if (messages.length !== 1 || messages[0] !== 'ok') {
    throw new StoreOpenError(
      `${path} failed integrity_check: ${messages.slice(0, 10).join('; ')}. It has not been modified. ` +
        `Move it aside (mv ${path} ${path}.corrupt) to start a fresh one, or restore a backup.`,
    );
  }
}

export function integrityMessages(db: Db): string[] {
  return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function latestVersion(migrations: readonly Migration[]): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
}

export function assertSchemaNotNewer(db: Db, path: string, migrations: readonly Migration[]): void {
  const found = schemaVersion(db);
  const latest = latestVersion(migrations);
  if (found > latest) {
    throw new StoreOpenError(
      `${path} has schema version ${found}, newer than this ocsecd supports (${latest}). ` +
        `Upgrade ocsec, or restore a backup made by this version.`,
    );
  }
}

/** Applies every migration newer than the database, each in its own transaction with its user_version. */
export function migrate(db: Db, path: string, migrations: readonly Migration[]): { from: number; to: number } {
  assertSchemaNotNewer(db, path, migrations);
  const from = schemaVersion(db);
  const latest = latestVersion(migrations);
  for (const m of migrations) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: Math.max(from, latest) };
}

export interface OpenStoreOptions {
  path: string;
  migrations?: readonly Migration[];
  /** Holds the database exclusively, so nothing else (another daemon, a hand edit) writes while we run. */
  exclusive?: boolean;
}

export function openStore(opts: OpenStoreOptions): { db: Db; migratedFrom: number; schemaVersion: number } {
  const { path } = opts;
  if (!existsSync(path)) closeSync(openSync(path, 'a', PRIVATE_FILE_MODE)); // created private, never via umask luck
  const migrations = opts.migrations ?? readMigrations();
  let db: Db;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (err) {
    throw describeOpenFailure(path, err);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (opts.exclusive !== false) db.pragma('locking_mode = EXCLUSIVE');
    assertIntegrity(db, path);
    // Refuse a newer schema before anything writes to the file (switching to WAL rewrites its header).
    assertSchemaNotNewer(db, path, migrations);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new StoreOpenError(`${path}: could not enable WAL (journal_mode is ${String(mode)})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const { from, to } = migrate(db, path, migrations);
    return { db, migratedFrom: from, schemaVersion: to };
  } catch (err) {
    db.close();
    if (err instanceof StoreOpenError) throw err;
    throw describeOpenFailure(path, err);
  }
}
