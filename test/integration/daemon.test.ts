// The in-process daemon: status, audit RPCs, long-poll tail, peer refusal (injected and a real other uid), shutdown.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../client/protocol.js';
import { isRpcErrorCode } from '../../client/rpc-client.js';
import { RpcDispatcher } from '../../daemon/rpc/dispatch.js';
import { buildMethodTable, methodTable } from '../../daemon/rpc/table.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const running: TestDaemon[] = [];
async function start(...args: Parameters<typeof startTestDaemon>): Promise<TestDaemon> {
  const t = await startTestDaemon(...args);
  running.push(t);
  return t;
}
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

const self = { uid: process.getuid!(), pid: process.pid };

describe('daemon.status and the state dir', () => {
  it('reports version, pid, paths, schema and jobs', async () => {
    const t = await start();
    const s = await t.client.call('daemon.status');
    expect(s).toMatchObject({ pid: process.pid, stateDir: t.stateDir, socketPath: t.socketPath, schemaVersion: 5, protocolVersion: 1 });
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.jobs.map((j) => j.name)).toContain('audit-verify');
    expect(s.audit.headSeq).toBeGreaterThanOrEqual(1);
  });

  it('creates private directories and a 0600 socket', async () => {
    const t = await start();
    for (const dir of [t.stateDir, t.daemon.layout.securityDir, t.daemon.layout.runDir, t.daemon.layout.assessmentsDir]) {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    }
    expect(statSync(t.socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(t.daemon.layout.dbPath).mode & 0o777).toBe(0o600);
    expect(statSync(t.daemon.layout.auditMirrorPath).mode & 0o777).toBe(0o600);
  });

  it('tightens a loose security dir and records nothing secret doing it', async () => {
    const first = await start();
    const stateDir = first.stateDir;
    await first.daemon.stop('test');
    chmodSync(first.daemon.layout.securityDir, 0o755);
    const second = await startTestDaemon({ stateDir });
    running.push(second);
    expect(statSync(second.daemon.layout.securityDir).mode & 0o777).toBe(0o700);
  });
});

describe('audit RPCs', () => {
  it('query filters by action prefix and afterSeq; verify reports the head', async () => {
    const t = await start();
    const audit = t.daemon.services.audit;
    audit.appendMany([
      { action: 'exec_start', actor: self, data: { argv: ['/usr/bin/true'] } },
      { action: 'exec_finish', actor: self, data: { returncode: 0 } },
      { action: 'drop_elevation', actor: self },
    ]);
    const execs = await t.client.call('audit.query', { action: 'exec_*' });
    expect(execs.events.map((e) => e.action)).toEqual(['exec_start', 'exec_finish']);
    const after = await t.client.call('audit.query', { afterSeq: execs.events[0]!.seq });
    expect(after.events[0]!.seq).toBe(execs.events[0]!.seq + 1);
    const report = await t.client.call('audit.verify');
    expect(report).toMatchObject({ ok: true, firstBreak: null, headSeq: audit.head().seq, headHash: audit.head().hash });
    expect(report.mirror.lastSeq).toBe(report.headSeq);
  });

  it('tail returns at once with waitMs 0, and wakes on the next append', async () => {
    const t = await start();
    const head = t.daemon.services.audit.head().seq;
    expect((await t.client.call('audit.tail', { waitMs: 0 })).events).toEqual([]);
    const pending = t.client.call('audit.tail', { afterSeq: head, waitMs: 20_000 });
    // Append once the request is parked: the daemon has a listener registered for it.
    await new Promise<void>((resolve) => {
      const check = () => (t.daemon.services.audit['listeners'].size > 0 ? resolve() : setImmediate(check));
      check();
    });
    t.daemon.services.audit.append({ action: 'approval_requested', actor: self, data: { reason: 'test' } });
    const res = await pending;
    expect(res.events.map((e) => e.action)).toEqual(['approval_requested']);
    expect(res.headSeq).toBe(head + 1);
  });

  it('a parked tail returns when the daemon stops, and stop removes the socket', async () => {
    const t = await start();
    const pending = t.client.call('audit.tail', { waitMs: 20_000 });
    await new Promise<void>((resolve) => {
      const check = () => (t.daemon.services.audit['listeners'].size > 0 ? resolve() : setImmediate(check));
      check();
    });
    const stopped = t.daemon.stop('test');
    const res = await pending;
    expect(res.events).toEqual([]);
    await stopped;
    expect(existsSync(t.socketPath)).toBe(false);
  });

  it('a store failure is StoreUnavailable with the reason, and status still answers', async () => {
    const t = await start();
    const db = t.daemon.services.db;
    const realPrepare = db.prepare.bind(db);
    db.prepare = (() => {
      throw new Error('disk I/O error');
    }) as typeof db.prepare;
    try {
      await expect(t.client.call('audit.query', { action: 'x' })).rejects.toSatisfy((e: unknown) => isRpcErrorCode(e, 'StoreUnavailable'));
    } finally {
      db.prepare = realPrepare;
    }
    expect((await t.client.call('daemon.status')).pid).toBe(process.pid);
  });
});

describe('unexpected handler errors', () => {
  it('become InternalError without the message or stack on the wire', async () => {
    const table = buildMethodTable([
      {
        ...Object.fromEntries(methodTable),
        'daemon.status': () => {
          throw new Error('secret internal detail at /home/user/.ssh');
        },
      },
    ]);
    const dispatcher = new RpcDispatcher(table, {} as never, pino({ level: 'silent' }));
    const reply = (await dispatcher.handle('{"jsonrpc":"2.0","id":1,"method":"daemon.status"}', self)) as { error: { code: number; message: string } };
    expect(reply.error.code).toBe(ErrorCode.InternalError);
    expect(JSON.stringify(reply)).not.toMatch(/secret|ssh|at /);
  });
});

describe('peer credentials', () => {
  it('refuses a peer whose uid differs (injected reader) and audits it', async () => {
    const t = await start({ readPeer: () => ({ uid: 4242, pid: 777 }) });
    const res = await t.post('{"jsonrpc":"2.0","id":1,"method":"daemon.status"}');
    expect(res.status).toBe(403);
    expect((res.json as { error: { code: number; message: string } }).error).toMatchObject({ code: ErrorCode.PeerRefused });
    const refused = t.daemon.services.audit.query({ action: 'peer.refused', limit: 10 });
    expect(refused).toHaveLength(1);
    expect(refused[0]!.data).toMatchObject({ peer_uid: 4242, peer_pid: 777 });
  });

  it('refuses when credentials cannot be read at all (fail closed)', async () => {
    const t = await start({
      readPeer: () => {
        throw new Error('getsockopt failed');
      },
    });
    const res = await t.post('{"jsonrpc":"2.0","id":1,"method":"daemon.status"}');
    expect(res.status).toBe(403);
    expect(t.daemon.services.audit.query({ action: 'peer.refused', limit: 10 })[0]!.data.reason).toMatch(/could not be read/);
  });

  const isRoot = process.getuid?.() === 0;
  const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
  it.runIf(isRoot && hasSetpriv)('refuses a real process running as another uid (setpriv as nobody)', async () => {
    const t = await start();
    // Open the path up the way a careless chmod would; the peer check must still hold.
    for (let dir = t.daemon.layout.runDir; dir !== '/'; dir = dirname(dir)) {
      chmodSync(dir, statSync(dir).mode | 0o011);
      if (dir === dirname(t.stateDir)) break;
    }
    chmodSync(t.socketPath, 0o666);
    const script = `
      const req = require('node:http').request({ socketPath: ${JSON.stringify(t.socketPath)}, path: '/rpc', method: 'POST' }, (res) => {
        let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => { console.log(JSON.stringify({ status: res.statusCode, body: b })); });
      });
      req.on('error', (e) => console.log(JSON.stringify({ error: e.code })));
      req.end('{"jsonrpc":"2.0","id":1,"method":"daemon.status"}');`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(stdout));
    });
    const result = JSON.parse(out.trim()) as { status?: number; body?: string; error?: string };
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(403);
    expect(JSON.parse(result.body!).error.code).toBe(ErrorCode.PeerRefused);
    const refused = t.daemon.services.audit.query({ action: 'peer.refused', limit: 10 });
    expect(refused[0]!.data).toMatchObject({ peer_uid: 65534 });
    expect(refused[0]!.actor_uid).toBe(65534);
    // The daemon's own uid still gets in.
    expect((await t.client.call('daemon.status')).pid).toBe(process.pid);
  });
});

describe('shutdown', () => {
  it('a request arriving once shutdown has begun gets ShuttingDown (503), not a Fastify body', async () => {
    const { startServer } = await import('../../daemon/server.js');
    const { tempStateDir, rawPost } = await import('../helpers/daemon.js');
    const dir = tempStateDir();
    const shutdown = new AbortController();
    const dispatcher = { handle: async () => ({ jsonrpc: '2.0' as const, id: 1, result: 'ok' }) } as unknown as RpcDispatcher;
    const app = await startServer({
      socketPath: `${dir}/t.sock`,
      dispatcher,
      readPeer: () => self,
      ownUid: self.uid,
      log: pino({ level: 'silent' }),
      shutdown: shutdown.signal,
      onPeerRefused: () => undefined,
    });
    try {
      expect((await rawPost(`${dir}/t.sock`, '{}')).json).toMatchObject({ result: 'ok' });
      shutdown.abort();
      const res = await rawPost(`${dir}/t.sock`, '{"jsonrpc":"2.0","id":1,"method":"daemon.status"}');
      expect(res.status).toBe(503);
      expect(res.json).toMatchObject({ error: { code: ErrorCode.ShuttingDown } });
    } finally {
      await app.close();
    }
  });
});
