// Covers daemon/procinfo.ts: parseProcStat on /proc/<pid>/stat lines, ancestry() over a fake inspector, and procfsInspector on this process.
import { describe, expect, it } from 'vitest';
import { ancestry, parseProcStat, procfsInspector, type ProcessInfo } from '../../daemon/procinfo.js';
import { FakeProcs } from '../helpers/privilege.js';

/** The fields after comm, as the kernel writes them (state ppid pgrp session tty_nr tpgid flags ...). */
const tail = (ppid: number, sid: number, ttyNr: number) => `S ${ppid} ${sid} ${sid} ${ttyNr} ${sid} 4194304 1063 0 0 0 2 1 0 0 20 0 1 0 4711 8904704 1336 18446744073709551615`;

describe('parseProcStat', () => {
  it.each<[string, string, ProcessInfo]>([
    ['a normal line', `1234 (bash) ${tail(1000, 1234, 34816)}\n`, { pid: 1234, ppid: 1000, comm: 'bash', hasTty: true, ttyNr: 34816, sid: 1234 }],
    ['comm with spaces and parentheses', `1234 (my (weird) proc) ${tail(1, 1234, 34816)}`, { pid: 1234, ppid: 1, comm: 'my (weird) proc', hasTty: true, ttyNr: 34816, sid: 1234 }],
    ['comm that itself contains ") S 9 9 9 9"', `77 (a) S 9 9 9 9) ${tail(2, 77, 0)}`, { pid: 77, ppid: 2, comm: 'a) S 9 9 9 9', hasTty: false, ttyNr: 0, sid: 77 }],
    ['no controlling terminal (tty_nr 0)', `42 (cron) ${tail(1, 42, 0)}`, { pid: 42, ppid: 1, comm: 'cron', hasTty: false, ttyNr: 0, sid: 42 }],
    ['an empty comm', `9 () ${tail(1, 9, 0)}`, { pid: 9, ppid: 1, comm: '', hasTty: false, ttyNr: 0, sid: 9 }],
    ['pid 1 (ppid 0)', `1 (systemd) ${tail(0, 1, 0)}`, { pid: 1, ppid: 0, comm: 'systemd', hasTty: false, ttyNr: 0, sid: 1 }],
  ])('%s', (_name, line, expected) => {
    expect(parseProcStat(line)).toEqual(expected);
  });

  it.each([
    ['empty', ''],
    ['no parentheses', '1234 bash S 1 1234 1234 0'],
    ['only an opening parenthesis', '1234 (bash S 1 1234 1234 0'],
    ['closing before opening', '1234 )bash( S 1 1234 1234 0'],
    ['truncated after comm', '1234 (bash)'],
    ['truncated before tty_nr', '1234 (bash) S 1 1234 1234'],
    ['a non-numeric pid', 'abc (bash) S 1 1234 1234 0'],
    ['a non-numeric ppid', '1234 (bash) S x 1234 1234 0'],
    ['a non-numeric session', '1234 (bash) S 1 1234 y 0'],
    ['a non-numeric tty_nr', '1234 (bash) S 1 1234 1234 pts/0'],
    ['a fractional ppid', '1234 (bash) S 1.5 1234 1234 0'],
    ['binary noise', '\u0000\u0001\u0002'],
  ])('garbage (%s) is null', (_name, line) => {
    expect(parseProcStat(line)).toBeNull();
  });
});

describe('ancestry', () => {
  const pids = (chain: ProcessInfo[]) => chain.map((p) => p.pid);

  it('walks up to pid 1 and stops there', () => {
    const procs = new FakeProcs().add(1, 0).add(200, 1).add(300, 200).add(400, 300);
    expect(pids(ancestry(procs, 400))).toEqual([400, 300, 200, 1]);
  });

  it('starts with the pid itself, with what the inspector reports for it', () => {
    const procs = new FakeProcs().add(1, 0).add(10, 1, { comm: 'ocsecctl', tty: { ttyNr: 34816, sid: 10 } });
    expect(ancestry(procs, 10)[0]).toEqual({ pid: 10, ppid: 1, comm: 'ocsecctl', hasTty: true, ttyNr: 34816, sid: 10 });
  });

  it.each([
    { name: 'a two-process loop', procs: new FakeProcs().add(10, 11).add(11, 10), start: 10, chain: [10, 11] },
    { name: 'a three-process loop', procs: new FakeProcs().add(10, 11).add(11, 12).add(12, 10), start: 10, chain: [10, 11, 12] },
    { name: 'a loop entered midway', procs: new FakeProcs().add(5, 10).add(10, 11).add(11, 10), start: 5, chain: [5, 10, 11] },
    { name: 'a process that is its own parent', procs: new FakeProcs().add(7, 7), start: 7, chain: [7] },
  ])('stops at $name', ({ procs, start, chain }) => {
    expect(pids(ancestry(procs, start))).toEqual(chain);
  });

  it.each([
    { name: 'a parent that cannot be read', procs: new FakeProcs().add(300, 200).add(200, 150), start: 300, chain: [300, 200] },
    { name: 'a start pid that cannot be read', procs: new FakeProcs().add(1, 0), start: 99, chain: [] as number[] },
    { name: 'pid 0', procs: new FakeProcs().add(0, 0), start: 0, chain: [] as number[] },
    { name: 'a negative pid', procs: new FakeProcs().add(1, 0), start: -1, chain: [] as number[] },
  ])('stops at $name', ({ procs, start, chain }) => {
    expect(pids(ancestry(procs, start))).toEqual(chain);
  });

  it('stops at maxDepth, and by default at 64', () => {
    const procs = new FakeProcs().add(1, 0);
    for (let pid = 2; pid <= 100; pid++) procs.add(pid, pid - 1);
    expect(pids(ancestry(procs, 100, 3))).toEqual([100, 99, 98]);
    expect(ancestry(procs, 100, 1)).toHaveLength(1);
    const full = ancestry(procs, 100);
    expect(full).toHaveLength(64);
    expect(full.at(-1)!.pid).toBe(37);
    expect(pids(ancestry(procs, 100, 1000))).toHaveLength(100);
  });

  it('reads each process once', () => {
    const procs = new FakeProcs().add(1, 0).add(2, 1).add(3, 2);
    const reads: number[] = [];
    ancestry({ read: (pid) => (reads.push(pid), procs.read(pid)) }, 3);
    expect(reads).toEqual([3, 2, 1]);
  });
});

describe.runIf(process.platform === 'linux')('procfsInspector (Linux)', () => {
  it('reads this process: our pid and our real parent', () => {
    const me = procfsInspector.read(process.pid);
    expect(me).not.toBeNull();
    expect(me!.pid).toBe(process.pid);
    expect(me!.ppid).toBe(process.ppid);
    expect(typeof me!.comm).toBe('string');
    expect(Number.isInteger(me!.sid)).toBe(true);
  });

  it('walks from this process to pid 1', () => {
    const chain = ancestry(procfsInspector, process.pid);
    expect(chain[0]!.pid).toBe(process.pid);
    expect(chain[1]?.pid).toBe(process.ppid);
    expect(chain.at(-1)!.ppid).toBe(0);
  });

  it.each([0, -1, 2 ** 31 - 1])('a pid that does not exist (%i) is null', (pid) => {
    expect(procfsInspector.read(pid)).toBeNull();
  });
});
