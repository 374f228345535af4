/** Holds the last good version of each policy file in security/, reloads a file when it changes, and reports every load attempt. */
import { createHash } from 'node:crypto';
import { closeSync, constants as fsc, fstatSync, openSync, readSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import type { Layout } from '../../client/layout.js';
import type { Clock, TimerHandle } from '../clock.js';
import { formatProblem, type FileProblem, type LoadResult } from '../json-file.js';
import { parseCommandPolicy, parsePromptPolicy } from './command-policy.js';
import { parseApprovedPorts, parseEgressAllowlist } from '../network/policy.js';

export interface PolicyFileSpec<T> {
  path(files: Layout['policyFiles']): string;
  parse(file: string, text: string): LoadResult<T>;
}

/**
 * The policy files the store manages, by file name. Adding one (approved_ports.json,
 * egress_allowlist.json) is one line here; the watcher, reload and check pick it up.
 */
export const policyFileTable = {
  'command-policy.json': { path: (files) => files.commandPolicy, parse: parseCommandPolicy },
  'prompt-policy.json': { path: (files) => files.promptPolicy, parse: parsePromptPolicy },
  'approved_ports.json': { path: (files) => files.approvedPorts, parse: parseApprovedPorts },
  'egress_allowlist.json': { path: (files) => files.egressAllowlist, parse: parseEgressAllowlist },
} satisfies Record<string, PolicyFileSpec<unknown>>;

export type PolicyFileName = keyof typeof policyFileTable;
export type PolicyValue<N extends PolicyFileName> = (typeof policyFileTable)[N]['parse'] extends (file: string, text: string) => LoadResult<infer T> ? T : never;

export const POLICY_FILE_NAMES = Object.keys(policyFileTable) as PolicyFileName[];

/** A policy file larger than this is refused unread: no legitimate policy comes near it. */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;
export const DEFAULT_DEBOUNCE_MS = 100;

export const DELETED_MESSAGE = 'file deleted; last loaded version stays in force until ocsecd restarts or the file is restored';

export type PolicyFileStatus = 'ok' | 'missing' | 'invalid';
export type LoadTrigger = 'startup' | 'watch' | 'reload';

export interface PolicyFileState<T> {
  name: PolicyFileName;
  path: string;
  /** Outcome of the last load attempt (which may differ from what is in force: see lastGood). */
  status: PolicyFileStatus;
  /** sha256 of the bytes read by the last attempt; null when the file was missing or unreadable. */
  sha256: string | null;
  /** Wall-clock ms of the last attempt. */
  loadedAt: number;
  /** Why the last attempt did not produce a policy (invalid), or that the file was deleted after a good load. */
  problem?: FileProblem;
  /**
   * The version in force: the most recent good load. Neither an invalid edit nor a deletion removes
   * it, so breaking or deleting command-policy.json never turns "deny rm -rf" into "allow everything".
   */
  lastGood?: { value: T; sha256: string; loadedAt: number };
}

export interface PolicyLoadEvent {
  file: PolicyFileName;
  path: string;
  status: PolicyFileStatus;
  sha256: string | null;
  problem?: FileProblem;
  trigger: LoadTrigger;
  /** sha256 of the version in force after this attempt, null when none is. */
  inForceSha256: string | null;
}

/** What policy.check reports per file: the state without the compiled value. */
export interface PolicyFileReport {
  name: PolicyFileName;
  path: string;
  status: PolicyFileStatus;
  sha256: string | null;
  loadedAt: number;
  problem: FileProblem | null;
  /** formatProblem(problem): file:line:column: field: message. */
  message: string | null;
  inForce: { sha256: string; loadedAt: number } | null;
}

export interface PolicyStoreOptions {
  layout: Pick<Layout, 'securityDir' | 'policyFiles'>;
  clock: Clock;
  /** Called after every load attempt, good or bad; the daemon audits it. A throw is logged, never propagated. */
  onLoad: (event: PolicyLoadEvent) => void;
  log?: Logger;
  debounceMs?: number;
}

/** sha256 is of the bytes on disk, so the audited hash is what `sha256sum` prints for the file. */
type ReadOutcome = { kind: 'missing' } | { kind: 'text'; text: string; sha256: string } | { kind: 'problem'; problem: FileProblem };

function wholeFileProblem(file: string, message: string): FileProblem {
  return { file, line: 0, column: 0, field: '(root)', message };
}

/**
 * Reads at most MAX_POLICY_FILE_BYTES + 1 bytes. O_NONBLOCK keeps a FIFO planted under a policy
 * name from blocking the daemon in open(); fstat then refuses anything but a regular file.
 */
function readPolicyText(path: string): ReadOutcome {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'problem', problem: wholeFileProblem(path, `cannot read: ${(err as Error).message}`) };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { kind: 'problem', problem: wholeFileProblem(path, 'not a regular file') };
    if (stat.size > MAX_POLICY_FILE_BYTES) return { kind: 'problem', problem: tooLarge(path, stat.size) };
    // The file may grow between fstat and read, so the limit is enforced on what is actually read.
    const buffer = Buffer.alloc(MAX_POLICY_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_POLICY_FILE_BYTES) return { kind: 'problem', problem: tooLarge(path, length) };
    }
    const bytes = buffer.subarray(0, length);
    return { kind: 'text', text: bytes.toString('utf8'), sha256: createHash('sha256').update(bytes).digest('hex') };
  } catch (err) {
    return { kind: 'problem', problem: wholeFileProblem(path, `cannot read: ${(err as Error).message}`) };
  } finally {
    closeSync(fd);
  }
}

function tooLarge(path: string, size: number): FileProblem {
  return wholeFileProblem(path, `file is too large (${size} bytes or more); a policy file may be at most ${MAX_POLICY_FILE_BYTES} bytes (1 MiB)`);
}

export class PolicyStore {
  private readonly states = new Map<PolicyFileName, PolicyFileState<unknown>>();
  private readonly pending = new Map<PolicyFileName, TimerHandle>();
  private readonly debounceMs: number;
  private watcher: FSWatcher | null = null;

  constructor(private readonly opts: PolicyStoreOptions) {
    this.debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  }

  pathOf(name: PolicyFileName): string {
    return policyFileTable[name].path(this.opts.layout.policyFiles);
  }

  /** Startup: loads every file once. */
  loadAll(): void {
    for (const name of POLICY_FILE_NAMES) this.loadPolicyFile(name, 'startup');
  }

  /** policy.reload: re-reads every file now (and drops pending debounced loads, which this covers). */
  reload(): PolicyFileReport[] {
    for (const name of POLICY_FILE_NAMES) this.cancelPending(name);
    for (const name of POLICY_FILE_NAMES) this.loadPolicyFile(name, 'reload');
    return this.check();
  }

  /** The one way a file is loaded, whether at startup, on a watcher event or on reload. Each file is validated alone. */
  loadPolicyFile(name: PolicyFileName, trigger: LoadTrigger = 'reload'): PolicyFileState<unknown> {
    const path = this.pathOf(name);
    const previous = this.states.get(name);
    const loadedAt = this.opts.clock.now();
    const read = readPolicyText(path);
    let state: PolicyFileState<unknown>;
    if (read.kind === 'missing') {
      state = { name, path, status: 'missing', sha256: null, loadedAt };
      if (previous?.lastGood) {
        state.lastGood = previous.lastGood;
        state.problem = wholeFileProblem(path, DELETED_MESSAGE);
      }
    } else if (read.kind === 'problem') {
      state = { name, path, status: 'invalid', sha256: null, loadedAt, problem: read.problem };
      if (previous?.lastGood) state.lastGood = previous.lastGood;
    } else {
      const parsed: LoadResult<unknown> = policyFileTable[name].parse(path, read.text);
      if (parsed.ok) {
        state = { name, path, status: 'ok', sha256: read.sha256, loadedAt, lastGood: { value: parsed.value, sha256: read.sha256, loadedAt } };
      } else {
        state = { name, path, status: 'invalid', sha256: read.sha256, loadedAt, problem: parsed.problem };
        if (previous?.lastGood) state.lastGood = previous.lastGood;
      }
    }
    this.states.set(name, state);
    this.report(state, trigger);
    return state;
  }

  private report(state: PolicyFileState<unknown>, trigger: LoadTrigger): void {
    const event: PolicyLoadEvent = {
      file: state.name,
      path: state.path,
      status: state.status,
      sha256: state.sha256,
      trigger,
      inForceSha256: state.lastGood?.sha256 ?? null,
    };
    if (state.problem) event.problem = state.problem;
    const log = this.opts.log;
    if (state.problem) log?.warn({ file: state.name, status: state.status, problem: formatProblem(state.problem) }, 'policy file not loaded');
    else if (state.status === 'missing') log?.info({ file: state.name, path: state.path }, 'policy file absent');
    else log?.info({ file: state.name, sha256: state.sha256 }, 'policy file loaded');
    try {
      this.opts.onLoad(event);
    } catch (err) {
      log?.error({ err, file: state.name }, 'onLoad failed for a policy load');
    }
  }

  /** The state of one file, or undefined before its first load. */
  stateOf<N extends PolicyFileName>(name: N): PolicyFileState<PolicyValue<N>> | undefined {
    return this.states.get(name) as PolicyFileState<PolicyValue<N>> | undefined;
  }

  /**
   * The version in force, or undefined when there is none: the file never existed (missing) or has
   * never been valid (invalid). Callers must tell those apart with stateOf(): missing follows the
   * reference (allowed unless OPENCLAW_REQUIRE_POLICY_FILES=1), invalid-with-nothing-in-force must
   * fail closed.
   */
  inForce<N extends PolicyFileName>(name: N): PolicyValue<N> | undefined {
    return this.stateOf(name)?.lastGood?.value;
  }

  /** policy.check: every file's status, what is in force and the last problem. */
  check(): PolicyFileReport[] {
    return POLICY_FILE_NAMES.flatMap((name) => {
      const s = this.states.get(name);
      if (!s) return [];
      return [
        {
          name,
          path: s.path,
          status: s.status,
          sha256: s.sha256,
          loadedAt: s.loadedAt,
          problem: s.problem ?? null,
          message: s.problem ? formatProblem(s.problem) : null,
          inForce: s.lastGood ? { sha256: s.lastGood.sha256, loadedAt: s.lastGood.loadedAt } : null,
        },
      ];
    });
  }

  /**
   * What the watcher calls for any event on a policy file (add, change, unlink, an editor's
   * rename-over). Bursts are collapsed into one load debounceMs after the last event; the load
   * itself finds out what the file now is, so the event type does not matter. Public so tests can
   * drive the debounce with a ManualClock.
   */
  fileChanged(name: PolicyFileName): void {
    this.cancelPending(name);
    const handle = this.opts.clock.setTimeout(() => {
      this.pending.delete(name);
      this.loadPolicyFile(name, 'watch');
    }, this.debounceMs);
    this.pending.set(name, handle);
  }

  private cancelPending(name: PolicyFileName): void {
    const handle = this.pending.get(name);
    if (handle) this.opts.clock.clearTimeout(handle);
    this.pending.delete(name);
  }

  /**
   * Watches the security directory rather than the files, so a file that is created later, or
   * replaced by rename (how most editors save), is still seen. Resolves once the watcher is ready.
   */
  async start(): Promise<void> {
    if (this.watcher) return;
    const dir = resolve(this.opts.layout.securityDir);
    const byBasename = new Map(POLICY_FILE_NAMES.map((name) => [basename(this.pathOf(name)), name] as const));
    // The database and its WAL live here too and change constantly; they are never even stat'ed.
    const isIgnored = (path: string): boolean => resolve(path) !== dir && !byBasename.has(basename(path));
    const watcher = watch(dir, { depth: 0, ignoreInitial: true, ignored: isIgnored });
    this.watcher = watcher;
    watcher.on('all', (_event, path) => {
      const name = byBasename.get(basename(path));
      if (name) this.fileChanged(name);
    });
    watcher.on('error', (err) => this.opts.log?.error({ err, dir }, 'policy watcher error'));
    await new Promise<void>((ready) => watcher.once('ready', ready));
  }

  async stop(): Promise<void> {
    for (const name of POLICY_FILE_NAMES) this.cancelPending(name);
    const watcher = this.watcher;
    this.watcher = null;
    await watcher?.close();
  }
}
