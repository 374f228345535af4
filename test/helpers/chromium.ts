// Drives a real headless Chromium (Debian's `chromium`) over the DevTools protocol on a pipe (--remote-debugging-pipe:
// the browser reads commands on fd 3 and writes replies and events on fd 4, NUL-separated JSON), with no npm package.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = '/usr/bin/chromium';

export interface CdpEvent {
  method: string;
  params: Record<string, unknown>;
  sessionId?: string;
}

export interface PageRun {
  /** console.error calls, uncaught exceptions and error-level log entries (CSP violations among them). */
  errors: string[];
  /** Every request the page attempted (the page itself included). */
  requests: string[];
  /** Requests the browser refused to send, with why (`csp`, ...). */
  blocked: Array<{ url: string; reason: string }>;
  evaluate<T>(expression: string): Promise<T>;
  screenshot(): Promise<Buffer>;
}

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** Opens `url` in a fresh profile, waits for load, runs `use`, and always closes the browser and removes the profile. */
export async function withPage<T>(url: string, size: { width: number; height: number }, use: (page: PageRun) => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), 'ocsec-chromium-'));
  const child: ChildProcess = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--no-default-browser-check',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'disabled:' } },
  );
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(e: CdpEvent) => void>();
  let buffer = '';
  fromBrowser.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let end;
    while ((end = buffer.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffer.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
      buffer = buffer.slice(end + 1);
      if (message.id !== undefined) {
        const w = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.error) w?.reject(new Error(`CDP: ${message.error.message}`));
        else w?.resolve(message.result ?? {});
      } else if (message.method) for (const l of listeners) l({ method: message.method, params: message.params ?? {}, ...(message.sessionId ? { sessionId: message.sessionId } : {}) });
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  };
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const errors: string[] = [];
    const requests: string[] = [];
    const blocked: PageRun['blocked'] = [];
    const urls = new Map<string, string>();
    listeners.add((e) => {
      if (e.sessionId !== sessionId) return;
      if (e.method === 'Runtime.consoleAPICalled' && (e.params.type === 'error' || e.params.type === 'assert')) errors.push(`console.${String(e.params.type)}: ${JSON.stringify(e.params.args)}`);
      if (e.method === 'Runtime.exceptionThrown') errors.push(`exception: ${JSON.stringify(e.params.exceptionDetails)}`);
      if (e.method === 'Log.entryAdded') {
        const entry = e.params.entry as { level: string; text: string; source: string };
        if (entry.level === 'error') errors.push(`log (${entry.source}): ${entry.text}`);
      }
      if (e.method === 'Network.requestWillBeSent') {
        const requestUrl = String((e.params.request as { url: string }).url);
        urls.set(String(e.params.requestId), requestUrl);
        requests.push(requestUrl);
      }
      if (e.method === 'Network.loadingFailed' && e.params.blockedReason) blocked.push({ url: urls.get(String(e.params.requestId)) ?? '?', reason: String(e.params.blockedReason) });
    });
    for (const domain of ['Runtime.enable', 'Log.enable', 'Page.enable', 'Network.enable']) await send(domain, {}, sessionId);
    await send('Emulation.setDeviceMetricsOverride', { width: size.width, height: size.height, deviceScaleFactor: 1, mobile: false }, sessionId);
    const loaded = new Promise<void>((resolve) => {
      const l = (e: CdpEvent) => {
        if (e.sessionId === sessionId && e.method === 'Page.loadEventFired') {
          listeners.delete(l);
          resolve();
        }
      };
      listeners.add(l);
    });
    const nav = (await send('Page.navigate', { url }, sessionId)) as { errorText?: string };
    if (nav.errorText) throw new Error(`navigation to ${url} failed: ${nav.errorText}`);
    await loaded;
    return await use({
      errors,
      requests,
      blocked,
      async evaluate<R>(expression: string): Promise<R> {
        const r = (await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as { result: { value: R }; exceptionDetails?: unknown };
        if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
        return r.result.value;
      },
      async screenshot() {
        const r = (await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId)) as { data: string };
        return Buffer.from(r.data, 'base64');
      },
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nchromium stderr: ${stderr}`);
  } finally {
    clearTimeout(timer);
    send('Browser.close').catch(() => undefined);
    const closed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!closed) child.kill('SIGKILL');
    await exited;
    rmSync(profile, { recursive: true, force: true });
  }
}
