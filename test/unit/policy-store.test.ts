// Covers daemon/policy/store.ts: last-good retention, per-file isolation, onLoad reporting, missing and deleted files, size and file-type limits, debounce, reload, and hot reload through the real chokidar watcher.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { layoutFor, type Layout } from '../../client/layout.js';
import { ManualClock, systemClock, type Clock } from '../../daemon/clock.js';
import { evaluateCommandPolicy } from '../../daemon/policy/command-policy.js';
import { DELETED_MESSAGE, MAX_POLICY_FILE_BYTES, PolicyStore, type PolicyLoadEvent } from '../../daemon/policy/store.js';
import { silentLogger, tempDirs } from '../helpers/tmp.js';

const dirs = tempDirs('ocsec-policy-');
const stores: PolicyStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.stop();
  dirs.cleanup();
});

const GOOD = JSON.stringify({ deny: ['\\brm\\s+-rf\\b'] }, null, 2);
const GOOD_2 = JSON.stringify({ deny: ['\\brm\\s+-rf\\b', '\\bshutdown\\b'] }, null, 2);
const INVALID = '{\n  "deny": [\n    "("\n  ]\n}';
const PROMPT = '{ "require_confirmation_for_untrusted": false }';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A store over a fresh security dir, with every onLoad event recorded and awaitable. */
function makeStore(clock: Clock = new ManualClock(), onLoadExtra?: (e: PolicyLoadEvent) => void) {
  const layout: Layout = layoutFor(dirs.make());
  fs.mkdirSync(layout.securityDir, { recursive: true });
  const events: PolicyLoadEvent[] = [];
  const waiters: { matches: (e: PolicyLoadEvent) => boolean; resolve: (e: PolicyLoadEvent) => void }[] = [];
  const store = new PolicyStore({
    layout,
    clock,
    log: silentLogger(),
    onLoad: (e) => {
      events.push(e);
      for (const w of waiters.splice(0)) {
        if (w.matches(e)) w.resolve(e);
        else waiters.push(w);
      }
      onLoadExtra?.(e);
    },
  });
  stores.push(store);
  const write = (name: 'command' | 'prompt', text: string) =>
    fs.writeFileSync(name === 'command' ? layout.policyFiles.commandPolicy : layout.policyFiles.promptPolicy, text);
  /** Resolves on the first event from now on that matches; bounded by the vitest test timeout. */
  const nextLoad = (matches: (e: PolicyLoadEvent) => boolean) => new Promise<PolicyLoadEvent>((resolve) => waiters.push({ matches, resolve }));
  return { store, layout, events, write, nextLoad };
}

describe('PolicyStore: loading', () => {
  it('loads every file at startup and reports each through onLoad with its sha256', () => {
    const { store, events, write } = makeStore();
    write('command', GOOD);
    write('prompt', PROMPT);
    store.loadAll();
    expect(events).toEqual([
      expect.objectContaining({ file: 'command-policy.json', status: 'ok', sha256: sha256(GOOD), trigger: 'startup', inForceSha256: sha256(GOOD) }),
      expect.objectContaining({ file: 'prompt-policy.json', status: 'ok', sha256: sha256(PROMPT), trigger: 'startup' }),
      expect.objectContaining({ file: 'approved_ports.json', status: 'missing', sha256: null, trigger: 'startup' }),
      expect.objectContaining({ file: 'egress_allowlist.json', status: 'missing', sha256: null, trigger: 'startup' }),
    ]);
    expect(store.inForce('prompt-policy.json')).toEqual({ require_confirmation_for_untrusted: false });
    expect(evaluateCommandPolicy(store.inForce('command-policy.json')!, ['/usr/bin/rm', '-rf', '/x']).allowed).toBe(false);
  });

  it('a missing file is missing, with nothing in force and no problem', () => {
    const { store, events } = makeStore();
    store.loadAll();
    expect(store.stateOf('command-policy.json')).toMatchObject({ status: 'missing', sha256: null });
    expect(store.stateOf('command-policy.json')?.problem).toBeUndefined();
    expect(store.inForce('command-policy.json')).toBeUndefined();
    expect(events.map((e) => e.status)).toEqual(['missing', 'missing', 'missing', 'missing']);
    expect(events[0]?.problem).toBeUndefined();
  });

  it('an invalid file at startup has nothing in force and names file, line and field', () => {
    const { store, layout, write, events } = makeStore();
    write('command', INVALID);
    store.loadAll();
    const state = store.stateOf('command-policy.json')!;
    expect(state.status).toBe('invalid');
    expect(state.lastGood).toBeUndefined();
    expect(state.problem).toMatchObject({ file: layout.policyFiles.commandPolicy, line: 3, field: 'deny[0]' });
    expect(events[0]).toMatchObject({ status: 'invalid', sha256: sha256(INVALID), inForceSha256: null, problem: { field: 'deny[0]' } });
  });

  it('an invalid edit keeps the last good version in force and records the problem', () => {
    const { store, write, events } = makeStore();
    write('command', GOOD);
    store.loadAll();
    write('command', INVALID);
    store.loadPolicyFile('command-policy.json', 'watch');
    const state = store.stateOf('command-policy.json')!;
    expect(state).toMatchObject({ status: 'invalid', sha256: sha256(INVALID), problem: { field: 'deny[0]', line: 3 } });
    expect(state.lastGood?.sha256).toBe(sha256(GOOD));
    expect(evaluateCommandPolicy(store.inForce('command-policy.json')!, ['/usr/bin/rm', '-rf', '/x']).allowed).toBe(false);
    expect(events.at(-1)).toMatchObject({ status: 'invalid', sha256: sha256(INVALID), inForceSha256: sha256(GOOD) });
  });

  it('an invalid file leaves the other files untouched', () => {
    const { store, write } = makeStore();
    write('command', GOOD);
    write('prompt', PROMPT);
    store.loadAll();
    const promptBefore = store.stateOf('prompt-policy.json');
    write('command', INVALID);
    store.loadPolicyFile('command-policy.json', 'watch');
    expect(store.stateOf('prompt-policy.json')).toBe(promptBefore);
    expect(store.stateOf('prompt-policy.json')?.status).toBe('ok');
  });

  it('a good version after an invalid one replaces the last good and clears the problem', () => {
    const { store, write } = makeStore();
    write('command', GOOD);
    store.loadAll();
    write('command', INVALID);
    store.loadPolicyFile('command-policy.json', 'watch');
    write('command', GOOD_2);
    store.loadPolicyFile('command-policy.json', 'watch');
    const state = store.stateOf('command-policy.json')!;
    expect(state).toMatchObject({ status: 'ok', sha256: sha256(GOOD_2) });
    expect(state.problem).toBeUndefined();
    expect(state.lastGood?.sha256).toBe(sha256(GOOD_2));
  });

  it('deleting a file after a good load keeps that version in force, marked missing with a problem', () => {
    const { store, layout, write, events } = makeStore();
    write('command', GOOD);
    store.loadAll();
    fs.unlinkSync(layout.policyFiles.commandPolicy);
    store.loadPolicyFile('command-policy.json', 'watch');
    const state = store.stateOf('command-policy.json')!;
    expect(state).toMatchObject({ status: 'missing', sha256: null, problem: { message: DELETED_MESSAGE } });
    expect(state.lastGood?.sha256).toBe(sha256(GOOD));
    expect(evaluateCommandPolicy(store.inForce('command-policy.json')!, ['/usr/bin/rm', '-rf', '/x']).allowed).toBe(false);
    expect(events.at(-1)).toMatchObject({ status: 'missing', sha256: null, inForceSha256: sha256(GOOD), problem: { message: DELETED_MESSAGE } });
  });

  it('a file over 1 MiB is invalid with a clear message and keeps the last good', () => {
    const { store, write } = makeStore();
    write('command', GOOD);
    store.loadAll();
    write('command', `{"deny": [${'"x",'.repeat(MAX_POLICY_FILE_BYTES / 4)}"x"]}`);
    store.loadPolicyFile('command-policy.json', 'watch');
    const state = store.stateOf('command-policy.json')!;
    expect(state.status).toBe('invalid');
    expect(state.problem?.message).toMatch(/too large.*at most 1048576 bytes \(1 MiB\)/);
    expect(state.lastGood?.sha256).toBe(sha256(GOOD));
  });

  it('a file of exactly 1 MiB is read', () => {
    const { store, write } = makeStore();
    const body = '{"deny": []}';
    write('command', body + ' '.repeat(MAX_POLICY_FILE_BYTES - body.length));
    store.loadAll();
    expect(store.stateOf('command-policy.json')?.status).toBe('ok');
  });

  it('a FIFO under a policy name is refused without blocking', () => {
    const { store, layout } = makeStore();
    execFileSync('mkfifo', [layout.policyFiles.commandPolicy]);
    store.loadAll();
    expect(store.stateOf('command-policy.json')).toMatchObject({ status: 'invalid', problem: { message: 'not a regular file' } });
  });

  it('an onLoad that throws does not stop the load', () => {
    const layout = layoutFor(dirs.make());
    fs.mkdirSync(layout.securityDir, { recursive: true });
    fs.writeFileSync(layout.policyFiles.commandPolicy, GOOD);
    const store = new PolicyStore({
      layout,
      clock: new ManualClock(),
      log: silentLogger(),
      onLoad: () => {
        throw new Error('audit down');
      },
    });
    store.loadAll();
    expect(store.stateOf('command-policy.json')?.status).toBe('ok');
  });

  it('the sha256 is of the bytes on disk, even when they are not valid UTF-8', () => {
    const { store, layout } = makeStore();
    const bytes = Buffer.concat([Buffer.from('{"comment": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    fs.writeFileSync(layout.policyFiles.commandPolicy, bytes);
    store.loadAll();
    expect(store.stateOf('command-policy.json')?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('records loadedAt from the injected clock', () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1));
    const { store, write } = makeStore(clock);
    write('command', GOOD);
    store.loadAll();
    clock.advance(5_000);
    write('command', INVALID);
    store.loadPolicyFile('command-policy.json', 'watch');
    const state = store.stateOf('command-policy.json')!;
    expect(state.loadedAt).toBe(Date.UTC(2026, 4, 1) + 5_000);
    expect(state.lastGood?.loadedAt).toBe(Date.UTC(2026, 4, 1));
  });
});

describe('PolicyStore: reload and check', () => {
  it('reload() re-reads every file and reports it as a reload', () => {
    const { store, write, events } = makeStore();
    write('command', GOOD);
    store.loadAll();
    write('command', GOOD_2);
    const report = store.reload();
    expect(store.stateOf('command-policy.json')?.sha256).toBe(sha256(GOOD_2));
    expect(events.filter((e) => e.trigger === 'reload').map((e) => e.file)).toEqual(['command-policy.json', 'prompt-policy.json', 'approved_ports.json', 'egress_allowlist.json']);
    expect(report.find((r) => r.name === 'command-policy.json')).toMatchObject({ status: 'ok', sha256: sha256(GOOD_2), inForce: { sha256: sha256(GOOD_2) } });
  });

  it('check() reports status, what is in force and the formatted problem, without the compiled value', () => {
    const { store, layout, write } = makeStore();
    write('command', GOOD);
    store.loadAll();
    write('command', INVALID);
    store.loadPolicyFile('command-policy.json', 'watch');
    const [command, prompt] = store.check();
    expect(command).toMatchObject({
      name: 'command-policy.json',
      path: layout.policyFiles.commandPolicy,
      status: 'invalid',
      sha256: sha256(INVALID),
      inForce: { sha256: sha256(GOOD) },
    });
    expect(command?.message).toMatch(new RegExp(`^${layout.policyFiles.commandPolicy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:5: deny\\[0\\]: invalid pattern`));
    expect(command).not.toHaveProperty('lastGood');
    expect(prompt).toMatchObject({ name: 'prompt-policy.json', status: 'missing', problem: null, message: null, inForce: null });
    expect(() => JSON.stringify(store.check())).not.toThrow();
  });
});

describe('PolicyStore: debounce', () => {
  it('collapses a burst of events into one load debounceMs after the last', () => {
    const clock = new ManualClock();
    const { store, write, events } = makeStore(clock);
    write('command', GOOD);
    store.loadAll();
    const before = events.length;
    write('command', GOOD_2);
    store.fileChanged('command-policy.json');
    clock.advance(60);
    store.fileChanged('command-policy.json');
    clock.advance(60);
    expect(events.length).toBe(before);
    clock.advance(40);
    expect(events.slice(before)).toEqual([expect.objectContaining({ file: 'command-policy.json', trigger: 'watch', sha256: sha256(GOOD_2) })]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('debounces each file separately', () => {
    const clock = new ManualClock();
    const { store, events } = makeStore(clock);
    store.fileChanged('command-policy.json');
    clock.advance(50);
    store.fileChanged('prompt-policy.json');
    clock.advance(50);
    expect(events.map((e) => e.file)).toEqual(['command-policy.json']);
    clock.advance(50);
    expect(events.map((e) => e.file)).toEqual(['command-policy.json', 'prompt-policy.json']);
  });

  it('stop() cancels pending loads', async () => {
    const clock = new ManualClock();
    const { store, events } = makeStore(clock);
    store.fileChanged('command-policy.json');
    await store.stop();
    clock.advance(1_000);
    expect(events).toEqual([]);
  });
});

describe('PolicyStore: hot reload through the real watcher', () => {
  // chokidar watches the real filesystem, so these use the system clock for the debounce; each
  // wait is a promise resolved from onLoad, bounded by the vitest test timeout, never a sleep.

  it('loads a new valid version written in place', async () => {
    const { store, write, nextLoad } = makeStore(systemClock);
    write('command', GOOD);
    store.loadAll();
    await store.start();
    const loaded = nextLoad((e) => e.status === 'ok' && e.sha256 === sha256(GOOD_2));
    write('command', GOOD_2);
    expect(await loaded).toMatchObject({ file: 'command-policy.json', trigger: 'watch', inForceSha256: sha256(GOOD_2) });
    expect(store.inForce('command-policy.json')?.deny).toHaveLength(2);
  });

  it('an invalid write keeps the old version in force', async () => {
    const { store, write, nextLoad } = makeStore(systemClock);
    write('command', GOOD);
    store.loadAll();
    await store.start();
    const rejected = nextLoad((e) => e.status === 'invalid' && e.sha256 === sha256(INVALID));
    write('command', INVALID);
    expect(await rejected).toMatchObject({ inForceSha256: sha256(GOOD), problem: { field: 'deny[0]' } });
    expect(store.stateOf('command-policy.json')?.lastGood?.sha256).toBe(sha256(GOOD));
  });

  it('sees an editor-style atomic save (write a temp file, rename it over the policy)', async () => {
    const { store, layout, nextLoad } = makeStore(systemClock);
    fs.writeFileSync(layout.policyFiles.commandPolicy, GOOD);
    store.loadAll();
    await store.start();
    const loaded = nextLoad((e) => e.status === 'ok' && e.sha256 === sha256(GOOD_2));
    const temp = path.join(layout.securityDir, '.command-policy.json.swp');
    fs.writeFileSync(temp, GOOD_2);
    fs.renameSync(temp, layout.policyFiles.commandPolicy);
    await loaded;
    expect(store.stateOf('command-policy.json')?.status).toBe('ok');
  });

  it('picks up a policy file created after start, and a deletion keeps it in force', async () => {
    const { store, layout, write, nextLoad } = makeStore(systemClock);
    store.loadAll();
    await store.start();
    const created = nextLoad((e) => e.file === 'prompt-policy.json' && e.status === 'ok');
    write('prompt', PROMPT);
    await created;
    const deleted = nextLoad((e) => e.file === 'prompt-policy.json' && e.status === 'missing');
    fs.unlinkSync(layout.policyFiles.promptPolicy);
    expect(await deleted).toMatchObject({ inForceSha256: sha256(PROMPT), problem: { message: DELETED_MESSAGE } });
    expect(store.inForce('prompt-policy.json')).toEqual({ require_confirmation_for_untrusted: false });
  });
});
