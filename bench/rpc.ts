/** Benchmarks of the daemon's hot paths (JSON-RPC over the Unix socket, audit appends), each against a reference measured in the same run. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditTrail, type AuditInput } from '../daemon/audit/trail.js';
import { systemClock } from '../daemon/clock.js';
import { createLogger } from '../daemon/log.js';
import { startDaemon } from '../daemon/ocsecd.js';
import { socketPathLimit } from '../daemon/server.js';
import { openStore, readMigrations, type Db } from '../daemon/store/db.js';

/** A target a figure must meet: `metric` of the result at least `min`; null where no target is set. */
export interface Target {
  metric: string;
  min: number;
}

/** Progress goes to stderr; stdout carries only the final JSON document. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Nearest-rank percentile of nanosecond samples, in milliseconds. */
function percentileMs(sortedNs: readonly bigint[], p: number): number {
  const rank = Math.min(sortedNs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedNs.length) - 1));
  return Number(sortedNs[rank]!) / 1e6;
}

/** A fresh private directory under the system temp dir, short enough that a socket path inside it fits sun_path. */
export function freshTempDir(prefix: string, socketSuffix = join('run', 'ocsecd.sock')): string {
  let base = tmpdir();
  // mkdtemp appends six characters; fall back to /tmp when $TMPDIR is too deep for a Unix socket.
  if (Buffer.byteLength(join(base, `${prefix}XXXXXX`, socketSuffix)) > socketPathLimit()) base = '/tmp';
  return mkdtempSync(join(base, prefix));
}

// ---------------------------------------------------------------------------------------------
// RPC throughput
// ---------------------------------------------------------------------------------------------

export interface RpcBenchOptions {
  warmup?: number;
  calls?: number;
  rounds?: number;
}

interface RoundResult {
  reqPerS: number;
  p50Ms: number;
  p99Ms: number;
}

interface LoopSide {
  socketPath: string;
  agent: Agent;
}

/** One POST /rpc over the keep-alive agent; resolves with the status and the whole body. */
function rpcCall(side: LoopSide, id: number): Promise<{ status: number; body: string }> {
  const payload = JSON.stringify({ jsonrpc: '2.0', id, method: 'daemon.status' });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: side.socketPath,
        path: '/rpc',
        method: 'POST',
        agent: side.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The client loop both servers are measured with: sequential calls, each checked for a 200 and a JSON-RPC result. */
async function clientLoop(side: LoopSide, calls: number, firstId: number): Promise<RoundResult> {
  const latencies: bigint[] = new Array<bigint>(calls);
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    const { status, body } = await rpcCall(side, firstId + i);
    latencies[i] = process.hrtime.bigint() - t0;
    if (status !== 200) throw new Error(`${side.socketPath}: HTTP ${status}: ${body.slice(0, 200)}`);
    const parsed = JSON.parse(body) as { result?: unknown };
    if (parsed.result === undefined) throw new Error(`${side.socketPath}: not a JSON-RPC result: ${body.slice(0, 200)}`);
  }
  const elapsedNs = process.hrtime.bigint() - start;
  latencies.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    reqPerS: calls / (Number(elapsedNs) / 1e9),
    p50Ms: percentileMs(latencies, 50),
    p99Ms: percentileMs(latencies, 99),
  };
}

/** The round with the median req/s, reported whole (its p50/p99 belong to it), plus every round's req/s. */
function medianRound(rounds: readonly RoundResult[]) {
  const byRate = [...rounds].sort((a, b) => a.reqPerS - b.reqPerS);
  const mid = byRate[(byRate.length - 1) >> 1]!;
  return {
    req_per_s: round(mid.reqPerS, 0),
    p50_ms: round(mid.p50Ms),
    p99_ms: round(mid.p99Ms),
    rounds_req_per_s: rounds.map((r) => round(r.reqPerS, 0)),
  };
}

/** A plain node:http server that reads each POST body fully and answers with `body`, the reference for the daemon. */
function startPlainServer(socketPath: string, body: string): Promise<Server> {
  const bytes = Buffer.from(body, 'utf8');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      Buffer.concat(chunks).toString('utf8');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
      res.end(bytes);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}

/**
 * N sequential `daemon.status` calls to an in-process daemon against the same loop on a plain
 * node:http server answering a same-sized JSON body. Rounds alternate (ABBA…) and the median round
 * of each side is reported. Both servers share the process with the client, equally.
 */
export async function benchRpc(opts: RpcBenchOptions = {}) {
  const warmup = opts.warmup ?? 3000;
  const calls = opts.calls ?? 5000;
  const rounds = opts.rounds ?? 5;
  const dir = freshTempDir('ocb-');
  const daemon = await startDaemon({ stateDir: dir, log: createLogger('silent') });
  const ocsec: LoopSide = { socketPath: daemon.layout.socketPath, agent: new Agent({ keepAlive: true, maxSockets: 1 }) };
  let plainServer: Server | null = null;
  const plain: LoopSide = { socketPath: join(dir, 'plain.sock'), agent: new Agent({ keepAlive: true, maxSockets: 1 }) };
  try {
    // The reference answers with a real daemon.status reply, so both sides move the same number of bytes.
    const sample = await rpcCall(ocsec, 0);
    if (sample.status !== 200) throw new Error(`daemon.status answered HTTP ${sample.status}: ${sample.body}`);
    plainServer = await startPlainServer(plain.socketPath, sample.body);

    progress(`rpc: warm-up ${warmup} calls each`);
    await clientLoop(ocsec, warmup, 1);
    await clientLoop(plain, warmup, 1);

    const ocsecRounds: RoundResult[] = [];
    const plainRounds: RoundResult[] = [];
    let nextId = warmup + 1;
    for (let r = 0; r < rounds; r++) {
      const order: Array<[LoopSide, RoundResult[]]> = r % 2 === 0 ? [[ocsec, ocsecRounds], [plain, plainRounds]] : [[plain, plainRounds], [ocsec, ocsecRounds]];
      for (const [side, results] of order) {
        results.push(await clientLoop(side, calls, nextId));
        nextId += calls;
      }
      progress(`rpc: round ${r + 1}/${rounds}: ocsec ${round(ocsecRounds[r]!.reqPerS, 0)} req/s, plain ${round(plainRounds[r]!.reqPerS, 0)} req/s`);
    }

    const ours = medianRound(ocsecRounds);
    const reference = medianRound(plainRounds);
    const ratio = round(ours.req_per_s / reference.req_per_s);
    const target: Target = { metric: 'ratio', min: 0.7 };
    return {
      method: 'daemon.status',
      calls_per_round: calls,
      warmup_calls: warmup,
      rounds,
      response_bytes: Buffer.byteLength(sample.body),
      client: 'node:http request, http.Agent({keepAlive:true, maxSockets:1}), sequential, same process',
      ocsec: ours,
      reference: { what: 'plain node:http server on a Unix socket, same process; reads the body, answers a fixed same-size JSON body', ...reference },
      ratio,
      ratio_by_round: ocsecRounds.map((o, r) => round(o.reqPerS / plainRounds[r]!.reqPerS)),
      target,
      passed: ratio >= target.min,
    };
  } finally {
    ocsec.agent.destroy();
    plain.agent.destroy();
    if (plainServer) {
      plainServer.closeAllConnections();
      await new Promise<void>((resolve) => plainServer!.close(() => resolve()));
    }
    await daemon.stop('benchmark finished');
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Audit appends
// ---------------------------------------------------------------------------------------------

export interface AuditBenchOptions {
  singles?: number;
  batchSize?: number;
  events?: number;
  /** Batches per alternation block: trail and reference take turns so disk drift hits both. */
  blockBatches?: number;
}

const PROGRAMS = ['/usr/bin/git', '/usr/bin/ls', '/usr/local/bin/node', '/usr/bin/curl', '/bin/sh'];

/** A realistic exec_finish event; varies with `i` so nothing is cached or deduplicated. */
function execFinishEvent(i: number): AuditInput {
  const program = PROGRAMS[i % PROGRAMS.length]!;
  return {
    action: 'exec_finish',
    actor: { uid: 1000, pid: 20_000 + (i % 5000) },
    subject: program,
    data: {
      argv: [program, i % 3 === 0 ? 'status' : '--version', `--work-tree=/home/agent/project-${i % 97}`, `file-${i}.txt`],
      returncode: i % 11 === 0 ? 1 : 0,
      session_id: `sess-${(i >> 6).toString(16).padStart(8, '0')}-${(i % 64).toString(16)}`,
    },
  };
}

/**
 * The reference: audit_events' table and indexes taken from migration 0001 itself (so the two cannot
 * drift), renamed, without the append-only triggers; rows carried as they are (no hashing, no redaction, no mirror).
 */
function plainTableSql(): string {
  const migration = readMigrations().find((m) => m.version === 1)!.sql;
  const statements = migration.split(/;\s*\n/).filter((st) => /CREATE (TABLE|INDEX) audit_events/.test(st) || /CREATE INDEX audit_events_\w+ ON audit_events/.test(st));
  return statements.map((st) => st.replace(/audit_events/g, 'plain_events') + ';').join('\n');
}

/** Inserts into plain_events, one IMMEDIATE transaction per call, like AuditTrail.appendMany. */
function plainInserter(db: Db) {
  db.exec(plainTableSql());
  const insert = db.prepare(
    `INSERT INTO plain_events (seq, ts, actor_uid, actor_pid, action, subject, data_json, prev_hash, hash)
     VALUES (@seq, @ts, @actor_uid, @actor_pid, @action, @subject, @data_json, @prev_hash, @hash)`,
  );
  let seq = 0;
  const tx = db.transaction((inputs: readonly AuditInput[], hashes: readonly string[]) => {
    const ts = new Date(systemClock.now()).toISOString();
    inputs.forEach((input, k) => {
      seq++;
      insert.run({
        seq,
        ts,
        actor_uid: input.actor.uid,
        actor_pid: input.actor.pid,
        action: input.action,
        subject: input.subject ?? '',
        data_json: JSON.stringify(input.data ?? {}),
        prev_hash: hashes[k]!,
        hash: hashes[k + 1]!,
      });
    });
  });
  return (inputs: readonly AuditInput[], hashes: readonly string[]) => tx.immediate(inputs, hashes);
}

/** Random 64-hex strings made before timing, so the reference stores values shaped like real hashes. */
function randomHashes(n: number): string[] {
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = randomBytes(32).toString('hex');
  return out;
}

function timeNs(fn: () => void): bigint {
  const t0 = process.hrtime.bigint();
  fn();
  return process.hrtime.bigint() - t0;
}

function perSecond(count: number, ns: bigint): number {
  return count / (Number(ns) / 1e9);
}

/**
 * Audit appends with the chain: single appends (one FULL-sync commit plus the mirror's fdatasync
 * each) and appendMany batches, each against plain SQLite inserts of the same rows in equally
 * sized transactions, on a store opened the daemon's way (WAL, synchronous=FULL, exclusive lock).
 */
export async function benchAudit(opts: AuditBenchOptions = {}) {
  const singles = opts.singles ?? 300;
  const batchSize = opts.batchSize ?? 1000;
  const batches = Math.ceil((opts.events ?? 100_000) / batchSize);
  const blockBatches = opts.blockBatches ?? 10;
  const dir = freshTempDir('ocb-audit-');
  const log = createLogger('silent');
  const trailStore = openStore({ path: join(dir, 'trail.db') });
  const refStore = openStore({ path: join(dir, 'plain.db') });
  try {
    const trail = new AuditTrail(trailStore.db, join(dir, 'audit.jsonl'), systemClock, log);
    trail.openMirror();
    const plainInsert = plainInserter(refStore.db);
    let eventNo = 0;

    // (a) single appends, alternating trail and reference call by call.
    progress(`audit: ${singles} single appends (each a FULL-sync commit) and as many plain single-row commits`);
    let singleTrailNs = 0n;
    let singleRefNs = 0n;
    for (let i = 0; i < singles; i++) {
      const input = execFinishEvent(eventNo++);
      const hashes = randomHashes(2);
      singleTrailNs += timeNs(() => trail.append(input));
      singleRefNs += timeNs(() => plainInsert([input], hashes));
    }

    // (b) batches, alternating blocks of batches between trail and reference.
    progress(`audit: ${batches} batches of ${batchSize} via appendMany, and as many plain transactions`);
    let batchTrailNs = 0n;
    let batchRefNs = 0n;
    for (let done = 0; done < batches; ) {
      const block = Math.min(blockBatches, batches - done);
      const inputs: AuditInput[][] = [];
      const hashes: string[][] = [];
      for (let b = 0; b < block; b++) {
        inputs.push(Array.from({ length: batchSize }, () => execFinishEvent(eventNo++)));
        hashes.push(randomHashes(batchSize + 1));
      }
      const trailFirst = (done / blockBatches) % 2 === 0;
      const runTrail = () => {
        for (const batch of inputs) batchTrailNs += timeNs(() => trail.appendMany(batch));
      };
      const runRef = () => {
        for (let b = 0; b < block; b++) batchRefNs += timeNs(() => plainInsert(inputs[b]!, hashes[b]!));
      };
      if (trailFirst) {
        runTrail();
        runRef();
      } else {
        runRef();
        runTrail();
      }
      done += block;
    }

    progress('audit: verifying the chain');
    let report!: ReturnType<AuditTrail['verify']>;
    const verifyNs = timeNs(() => {
      report = trail.verify();
    });
    trail.closeMirror();

    const batchedEvents = batches * batchSize;
    const singleRate = perSecond(singles, singleTrailNs);
    const singleRefRate = perSecond(singles, singleRefNs);
    const batchRate = perSecond(batchedEvents, batchTrailNs);
    const batchRefRate = perSecond(batchedEvents, batchRefNs);
    const batchTarget: Target = { metric: 'appends_per_s', min: 50_000 };
    const reference = 'plain SQLite table with the same columns and indexes, same pragmas (WAL, synchronous=FULL, exclusive), no hashing, no redaction, no mirror';
    return {
      store: 'openStore() on a fresh temp dir: WAL, synchronous=FULL, locking_mode=EXCLUSIVE',
      sqlite_version: (trailStore.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
      single: {
        events: singles,
        appends_per_s: round(singleRate, 0),
        mean_ms: round(Number(singleTrailNs) / singles / 1e6),
        reference: { what: `${reference}; one row per transaction`, appends_per_s: round(singleRefRate, 0), mean_ms: round(Number(singleRefNs) / singles / 1e6) },
        ratio: round(singleRate / singleRefRate),
        target: null,
        passed: null,
      },
      batched: {
        events: batchedEvents,
        batch_size: batchSize,
        appends_per_s: round(batchRate, 0),
        mean_batch_ms: round(Number(batchTrailNs) / batches / 1e6),
        reference: {
          what: `${reference}; ${batchSize} rows per transaction`,
          appends_per_s: round(batchRefRate, 0),
          mean_batch_ms: round(Number(batchRefNs) / batches / 1e6),
        },
        ratio: round(batchRate / batchRefRate),
        target: batchTarget,
        passed: batchRate >= batchTarget.min,
      },
      verify: { ok: report.ok, count: report.count, expected_count: singles + batchedEvents, mirror_lines: report.mirror.lines, ms: round(Number(verifyNs) / 1e6, 1) },
    };
  } finally {
    trailStore.db.close();
    refStore.db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
