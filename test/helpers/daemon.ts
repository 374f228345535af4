// Starts an in-process ocsecd on a temporary state dir and talks to it the way real clients do.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { OcsecClient } from '../../client/rpc-client.js';
import { startDaemon, type DaemonOptions, type RunningDaemon } from '../../daemon/ocsecd.js';

export interface TestDaemon {
  daemon: RunningDaemon;
  client: OcsecClient;
  stateDir: string;
  socketPath: string;
  post(body: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; body: string; json: unknown }>;
  stop(): Promise<void>;
}

export function tempStateDir(prefix = 'ocsec-'): string {
  // Short, so the socket path stays well under sun_path's limit.
  return mkdtempSync(join(tmpdir(), prefix));
}

export function rawPost(socketPath: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/rpc', method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function startTestDaemon(overrides: Partial<DaemonOptions> = {}): Promise<TestDaemon> {
  const stateDir = overrides.stateDir ?? tempStateDir();
  const daemon = await startDaemon({ stateDir, log: pino({ level: 'silent' }), ...overrides });
  const socketPath = daemon.layout.socketPath;
  const client = new OcsecClient(socketPath);
  let stopped = false;
  return {
    daemon,
    client,
    stateDir,
    socketPath,
    post: (body, headers) => rawPost(socketPath, body, headers),
    async stop() {
      if (stopped) return;
      stopped = true;
      client.close();
      await daemon.stop('test');
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
