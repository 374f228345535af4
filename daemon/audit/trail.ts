/** The audit trail: append-only, hash-chained events in SQLite, mirrored line by line to a JSONL file. */
import { hash as oneShotHash } from 'node:crypto';
import {
  closeSync,
  constants as fsc,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import type { Logger } from 'pino';
import type { AuditEvent, ChainBreak } from '../../client/protocol.js';
import { fromMirrorLine, MIRROR_RESERVED_KEYS, toMirrorLine } from '../../client/audit-format.js';
import { PRIVATE_FILE_MODE } from '../../client/layout.js';
import type { Clock } from '../clock.js';
import { RpcError } from '../errors.js';
import type { Db } from '../store/db.js';
import { canonicalJson } from './canonical-json.js';
import { redact } from './redact.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface Actor {
  uid: number;
  pid: number;
}

export interface AuditInput {
  action: string;
  actor: Actor;
  subject?: string;
  data?: Record<string, unknown>;
}


export interface VerifyReport {
  ok: boolean;
  count: number;
  headSeq: number;
  headHash: string;
  mirror: { path: string; lines: number; lastSeq: number };
  firstBreak: ChainBreak | null;
}

interface Row {
  seq: number;
  ts: string;
  actor_uid: number;
  actor_pid: number;
  action: string;
  subject: string;
  data_json: string;
  prev_hash: string;
  hash: string;
}

type HashedFields = Omit<AuditEvent, 'prev_hash' | 'hash' | 'data'>;

/**
 * canonical_json({seq, ts, actor_uid, actor_pid, action, subject, data}) with the data already
 * canonical: the keys are written in their sorted order, so the (hot) append path serialises data once.
 */
function hashedFields(e: HashedFields, dataJson: string): string {
  return `{"action":${JSON.stringify(e.action)},"actor_pid":${e.actor_pid},"actor_uid":${e.actor_uid},"data":${dataJson},"seq":${e.seq},"subject":${JSON.stringify(e.subject)},"ts":${JSON.stringify(e.ts)}}`;
}

/** hash = sha256(prev_hash || canonical_json(row)); dataJson defaults to the canonical form of e.data. */
export function chainHash(prevHash: string, e: HashedFields & { data?: unknown }, dataJson = canonicalJson(e.data ?? {})): string {
  return oneShotHash('sha256', prevHash + hashedFields(e, dataJson), 'hex');
}

function rowToEvent(row: Row): AuditEvent {
  return {
    seq: row.seq,
    ts: row.ts,
    actor_uid: row.actor_uid,
    actor_pid: row.actor_pid,
    action: row.action,
    subject: row.subject,
    data: JSON.parse(row.data_json) as Record<string, unknown>,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

/** Yields the complete lines of a file, reading it in chunks (the mirror can be large). */
export function* readLines(path: string): Generator<{ line: string; endOffset: number }> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    let carry = Buffer.alloc(0);
    let offset = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let chunk = Buffer.concat([carry, buf.subarray(0, n)]);
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        offset += nl + 1 - start;
        yield { line: chunk.toString('utf8', start, nl), endOffset: offset };
        start = nl + 1;
      }
      carry = Buffer.from(chunk.subarray(start));
      chunk = carry;
    }
  } finally {
    closeSync(fd);
  }
}

function assertNoReservedKeys(input: AuditInput): void {
  for (const key of Object.keys(input.data ?? {})) {
    if (MIRROR_RESERVED_KEYS.has(key)) throw new TypeError(`audit data key "${key}" is reserved (action ${input.action})`);
  }
}

class AuditRecordFailure extends Error {
  constructor(override readonly cause: unknown) {
    super((cause as Error)?.message ?? String(cause));
  }
}

/** SQLite's own failures (disk full, I/O, locked, read-only); anything else is a programming error to rethrow. */
function isSqliteFailure(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

export class AuditTrail {
  private readonly insertRow;
  private readonly selectHead;
  private readonly selectAfter;
  private readonly selectBySeq;
  private mirrorFd: number | null = null;
  private mirrorSeq = 0;
  private readonly listeners = new Set<(head: number) => void>();
  /** Mirror lines of the transaction being committed, written once it has committed. */
  private pendingMirror: string[] = [];
  private headCache: { seq: number; hash: string };

  constructor(
    private readonly db: Db,
    readonly mirrorPath: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.insertRow = db.prepare(
      `INSERT INTO audit_events (seq, ts, actor_uid, actor_pid, action, subject, data_json, prev_hash, hash)
       VALUES (@seq, @ts, @actor_uid, @actor_pid, @action, @subject, @data_json, @prev_hash, @hash)`,
    );
    this.selectHead = db.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
    this.selectAfter = db.prepare('SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?');
    this.selectBySeq = db.prepare('SELECT * FROM audit_events WHERE seq = ?');
    this.headCache = this.readHead();
  }

  /** Inserts rows; runs inside a transaction, reading the head there so the chain stays linear whoever else writes. */
  private insertEvents(inputs: readonly AuditInput[]): AuditEvent[] {
      let prev = this.readHead();
      const ts = new Date(this.clock.now()).toISOString();
      return inputs.map((input) => {
        const data = redact(input.data ?? {}) as Record<string, unknown>;
        const dataJson = canonicalJson(data); // stored, hashed and mirrored as this one string
        const base = {
          seq: prev.seq + 1,
          ts,
          actor_uid: input.actor.uid,
          actor_pid: input.actor.pid,
          action: input.action,
          subject: typeof input.subject === 'string' ? (redact(input.subject) as string) : '',
          data,
        };
        const hash = chainHash(prev.hash, base, dataJson);
        const event: AuditEvent = { ...base, prev_hash: prev.hash, hash };
        this.insertRow.run({ ...base, data_json: dataJson, prev_hash: prev.hash, hash });
        this.pendingMirror.push(toMirrorLine(event, dataJson));
        prev = { seq: event.seq, hash };
        return event;
      });
  }

  private readHead(): { seq: number; hash: string } {
    return (this.selectHead.get() as { seq: number; hash: string } | undefined) ?? { seq: 0, hash: GENESIS_HASH };
  }

  head(): { seq: number; hash: string } {
    return this.headCache;
  }

  /** Opens the mirror and brings it level with the database: drops a torn last line, appends missing rows. */
  openMirror(): void {
    const exists = existsSync(this.mirrorPath);
    let lastSeq = 0;
    if (exists) {
      let lastGoodEnd = 0;
      let lastLine = '';
      for (const { line, endOffset } of readLines(this.mirrorPath)) {
        if (line.trim().length > 0) lastLine = line;
        lastGoodEnd = endOffset;
      }
      const fd = openSync(this.mirrorPath, fsc.O_RDWR);
      try {
        const size = fstatSync(fd).size;
        if (size > lastGoodEnd) {
          // A crash between write and newline left a torn line; it was never acknowledged.
          this.log.warn({ path: this.mirrorPath, bytes: size - lastGoodEnd }, 'audit mirror: removing a torn last line');
          ftruncateSync(fd, lastGoodEnd);
        }
      } finally {
        closeSync(fd);
      }
      if (lastLine) {
        try {
          lastSeq = Number((JSON.parse(lastLine) as { seq?: unknown }).seq) || 0;
        } catch {
          this.log.error({ path: this.mirrorPath }, 'audit mirror: last line is not JSON; `ocsecctl audit verify` will report it');
        }
      }
    }
    this.mirrorFd = openSync(this.mirrorPath, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, PRIVATE_FILE_MODE);
    const dbHead = this.headCache.seq;
    if (lastSeq > dbHead) {
      this.log.error(
        { mirrorSeq: lastSeq, dbSeq: dbHead },
        'audit mirror records events the database does not have: the database tail was truncated or replaced',
      );
      this.mirrorSeq = dbHead;
    } else {
      this.mirrorSeq = lastSeq;
      if (lastSeq < dbHead) {
        this.log.warn({ from: lastSeq + 1, to: dbHead }, 'audit mirror was behind the database; appending the missing events');
        this.flushMirror([]);
      }
    }
  }

  closeMirror(): void {
    if (this.mirrorFd !== null) closeSync(this.mirrorFd);
    this.mirrorFd = null;
  }

  /** Writes every committed event the mirror lacks. Failures are logged; the next flush retries from the database. */
  private flushMirror(justCommitted: readonly AuditEvent[], lines: readonly string[] = []): void {
    if (this.mirrorFd === null) return;
    try {
      let text: string;
      let lastSeq: number;
      const first = justCommitted[0];
      if (first && first.seq === this.mirrorSeq + 1 && lines.length === justCommitted.length) {
        text = lines.join('\n') + '\n';
        lastSeq = justCommitted[justCommitted.length - 1]!.seq;
      } else {
        const events = this.after(this.mirrorSeq, Number.MAX_SAFE_INTEGER);
        if (events.length === 0) return;
        text = events.map((e) => toMirrorLine(e) + '\n').join('');
        lastSeq = events[events.length - 1]!.seq;
      }
      writeSync(this.mirrorFd, text);
      fdatasyncSync(this.mirrorFd);
      this.mirrorSeq = lastSeq;
    } catch (err) {
      this.log.error({ err, path: this.mirrorPath }, 'audit mirror write failed; the database holds the events and the mirror will catch up');
    }
  }

  /** Appends one event; returns only after it is durably committed. Throws AuditWriteFailed otherwise. */
  append(input: AuditInput): AuditEvent {
    return this.appendMany([input])[0]!;
  }

  /** Appends events in one transaction (one fsync): all are committed or none. */
  appendMany(inputs: readonly AuditInput[]): AuditEvent[] {
    if (inputs.length === 0) return [];
    inputs.forEach(assertNoReservedKeys);
    return this.transact((record) => inputs.map(record));
  }

  /**
   * Runs `work` in one IMMEDIATE transaction in which `record` appends audit events: state changes
   * and the events that record them commit together (one fsync) or not at all. The mirror and
   * tail waiters see the events only after the commit.
   */
  transact<T>(work: (record: (input: AuditInput) => AuditEvent) => T): T {
    const events: AuditEvent[] = [];
    this.pendingMirror = [];
    let result: T;
    try {
      result = this.db
        .transaction(() =>
          work((input) => {
            try {
              assertNoReservedKeys(input);
              const event = this.insertEvents([input])[0]!;
              events.push(event);
              return event;
            } catch (err) {
              throw new AuditRecordFailure(err);
            }
          }),
        )
        .immediate();
    } catch (err) {
      this.pendingMirror = [];
      const cause = err instanceof AuditRecordFailure ? err.cause : err;
      // The work's own refusals pass through; any failure to record (or commit) becomes AuditWriteFailed.
      if (!(err instanceof AuditRecordFailure) && !isSqliteFailure(err)) throw err;
      this.log.error({ err: cause }, 'audit append failed');
      throw new RpcError('AuditWriteFailed', `audit event could not be committed (${(cause as Error).message}); the action was not performed`);
    }
    const last = events[events.length - 1];
    if (last) {
      this.headCache = { seq: last.seq, hash: last.hash };
      const lines = this.pendingMirror;
      this.pendingMirror = [];
      this.flushMirror(events, lines);
      for (const listener of this.listeners) listener(last.seq);
    }
    return result;
  }

  onAppend(listener: (headSeq: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  after(seq: number, limit: number): AuditEvent[] {
    return (this.selectAfter.all(seq, limit) as Row[]).map(rowToEvent);
  }

  query(q: { afterSeq?: number; since?: string; action?: string; limit: number }): AuditEvent[] {
    const where = ['seq > @afterSeq'];
    const params: Record<string, unknown> = { afterSeq: q.afterSeq ?? 0, limit: q.limit };
    if (q.since) {
      where.push('ts >= @since');
      params.since = new Date(q.since).toISOString();
    }
    if (q.action) {
      if (q.action.endsWith('*')) {
        // A case-sensitive prefix as a range (LIKE ignores ASCII case), which also uses the action index.
        where.push('action >= @actionLo AND action < @actionHi');
        params.actionLo = q.action.slice(0, -1);
        params.actionHi = q.action.slice(0, -1) + '\u{10FFFF}';
      } else {
        where.push('action = @action');
        params.action = q.action;
      }
    }
    const sql = `SELECT * FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as Row[]).map(rowToEvent);
  }

  /**
   * Recomputes the chain from the first row and compares the mirror line by line. Reports the
   * first break: a changed row, a missing or re-linked row, a mirror line that disagrees, or a
   * database tail shorter than the mirror's (the mirror's last line is the head kept outside the DB).
   */
  verify(): VerifyReport {
    let count = 0;
    let expectedSeq = 1;
    let prevHash = GENESIS_HASH;
    let firstBreak: ChainBreak | null = null;
    for (const row of this.db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as Iterable<Row>) {
      count++;
      if (firstBreak) continue;
      if (row.seq !== expectedSeq) {
        firstBreak = {
          seq: expectedSeq,
          kind: 'missing',
          reason: `row seq ${expectedSeq} is missing (the next row is seq ${row.seq})`,
        };
        continue;
      }
      if (row.prev_hash !== prevHash) {
        firstBreak = { seq: row.seq, kind: 'relinked', reason: `prev_hash does not match the hash of seq ${row.seq - 1}` };
        continue;
      }
      let recomputed: string;
      try {
        recomputed = chainHash(row.prev_hash, row, row.data_json);
      } catch {
        recomputed = '';
      }
      if (recomputed !== row.hash) {
        firstBreak = { seq: row.seq, kind: 'changed', reason: 'row content does not match its hash (the row was changed after it was written)' };
        continue;
      }
      prevHash = row.hash;
      expectedSeq++;
    }
    const headSeq = expectedSeq - 1;
    const dbHead = this.readHead();
    const mirror = this.verifyMirror(dbHead.seq);
    const breaks = [firstBreak, mirror.firstBreak].filter((b): b is ChainBreak => b !== null).sort((a, b) => a.seq - b.seq);
    const first = breaks[0] ?? null;
    return {
      ok: first === null,
      count,
      headSeq: firstBreak ? headSeq : dbHead.seq,
      headHash: firstBreak ? prevHash : dbHead.hash,
      mirror: { path: this.mirrorPath, lines: mirror.lines, lastSeq: mirror.lastSeq },
      firstBreak: first,
    };
  }

  private verifyMirror(dbHeadSeq: number): { lines: number; lastSeq: number; firstBreak: ChainBreak | null } {
    let lines = 0;
    let lastSeq = 0;
    if (!existsSync(this.mirrorPath)) {
      return {
        lines,
        lastSeq,
        firstBreak: dbHeadSeq > 0 ? { seq: 1, kind: 'mirror-behind', reason: `the mirror ${this.mirrorPath} is missing` } : null,
      };
    }
    try {
      for (const { line } of readLines(this.mirrorPath)) {
        if (line.trim() === '') continue;
        lines++;
        let e: AuditEvent;
        try {
          e = fromMirrorLine(line);
        } catch {
          return { lines, lastSeq, firstBreak: { seq: lastSeq + 1, kind: 'mirror-mismatch', reason: `mirror line ${lines} is not valid JSON` } };
        }
        if (e.seq !== lastSeq + 1) {
          return {
            lines,
            lastSeq,
            firstBreak: { seq: lastSeq + 1, kind: 'mirror-mismatch', reason: `mirror line ${lines} has seq ${e.seq}, expected ${lastSeq + 1}` },
          };
        }
        lastSeq = e.seq;
        if (e.seq > dbHeadSeq) {
          return {
            lines,
            lastSeq,
            firstBreak: {
              seq: e.seq,
              kind: 'truncated-tail',
              reason: `the mirror records seq ${e.seq} (hash ${e.hash.slice(0, 16)}…) but the database ends at seq ${dbHeadSeq}: its tail was truncated`,
            },
          };
        }
        const row = this.selectBySeq.get(e.seq) as Row | undefined;
        const lineHashOk = chainHash(e.prev_hash, e) === e.hash;
        if (!row || row.hash !== e.hash || !lineHashOk) {
          return {
            lines,
            lastSeq,
            firstBreak: {
              seq: e.seq,
              kind: 'mirror-mismatch',
              reason: !lineHashOk
                ? `mirror line ${lines} (seq ${e.seq}) does not match its own hash (the line was edited)`
                : `mirror line ${lines} (seq ${e.seq}) disagrees with the database row`,
            },
          };
        }
      }
    } catch (err) {
      return { lines, lastSeq, firstBreak: { seq: lastSeq + 1, kind: 'mirror-unreadable', reason: `cannot read ${this.mirrorPath}: ${(err as Error).message}` } };
    }
    if (lastSeq < dbHeadSeq) {
      return {
        lines,
        lastSeq,
        firstBreak: { seq: lastSeq + 1, kind: 'mirror-behind', reason: `the mirror ends at seq ${lastSeq} but the database has ${dbHeadSeq} events` },
      };
    }
    return { lines, lastSeq, firstBreak: null };
  }
}
