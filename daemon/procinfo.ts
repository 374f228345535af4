/** What the daemon may learn about a local process: parent, name, controlling terminal — from /proc, or ps elsewhere. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The executable's short name (comm), null when not visible. */
  comm: string | null;
  /** Has a controlling terminal. */
  hasTty: boolean;
  /** The controlling terminal's device number and the session id, as the kernel sees them (null where unknown). */
  ttyNr: number | null;
  sid: number | null;
}

export interface ProcessInspector {
  read(pid: number): ProcessInfo | null;
}

/** /proc/<pid>/stat: "pid (comm) state ppid pgrp session tty_nr ..."; comm may itself contain spaces and parens. */
export function parseProcStat(text: string): ProcessInfo | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const isInteger = (s: string | undefined) => s !== undefined && /^-?\d+$/.test(s);
  const pidText = text.slice(0, open).trim();
  const fields = text.slice(close + 2).split(' ');
  if (!isInteger(pidText) || !isInteger(fields[1]) || !isInteger(fields[3]) || !isInteger(fields[4])) return null;
  const pid = Number(pidText);
  const ppid = Number(fields[1]);
  const sid = Number(fields[3]);
  const ttyNr = Number(fields[4]);
  return { pid, ppid, comm: text.slice(open + 1, close), hasTty: ttyNr !== 0, ttyNr, sid };
}

export const procfsInspector: ProcessInspector = {
  read(pid) {
    try {
      return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return null; // exited, or not visible to us
    }
  },
};

/** macOS and other systems without /proc: one `ps` call per process. */
export const psInspector: ProcessInspector = {
  read(pid) {
    try {
      const out = execFileSync('/bin/ps', ['-o', 'ppid=,tty=,comm=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 }).trim();
      const m = /^(\d+)\s+(\S+)\s+(.*)$/.exec(out);
      if (!m) return null;
      return { pid, ppid: Number(m[1]), comm: m[3]!.split('/').pop() ?? null, hasTty: m[2] !== '??' && m[2] !== '?', ttyNr: null, sid: null };
    } catch {
      return null;
    }
  },
};

export function platformInspector(): ProcessInspector {
  return process.platform === 'linux' ? procfsInspector : psInspector;
}

/** The chain of parents from pid upwards (pid first), stopping at pid 1, a loop, or an unreadable process. */
export function ancestry(inspector: ProcessInspector, pid: number, maxDepth = 64): ProcessInfo[] {
  const chain: ProcessInfo[] = [];
  const seen = new Set<number>();
  for (let current = pid; current > 0 && !seen.has(current) && chain.length < maxDepth; ) {
    seen.add(current);
    const info = inspector.read(current);
    if (!info) break;
    chain.push(info);
    if (info.ppid === current) break;
    current = info.ppid;
  }
  return chain;
}
