/**
 * Socket tables from the system tools, for hosts where /proc cannot be read: `ss -H -tunape` (Linux),
 * `lsof -F` field output (macOS and Linux) and `netstat -anv` (macOS). The parsers are pure and
 * tested on captured output; the runner resolves each tool on the secure path only, so a binary
 * planted earlier in PATH cannot feed the monitor a fake table.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Family } from './addresses.js';
import type { OwnerStatus, ProcessRef, Protocol, SocketRecord, SocketState } from './sockets.js';

export interface ParsedTool {
  sockets: SocketRecord[];
  malformedLines: number;
}

function ref(pid: number, command: string | null, uid: number | null = null, user: string | null = null): ProcessRef {
  return { pid, command, exe: null, cmdline: null, uid, user };
}

function ownerStatusOf(owners: readonly ProcessRef[], state: SocketState, inode: number | null): OwnerStatus {
  if (owners.length > 0) return 'visible';
  return inode === 0 || state === 'TIME_WAIT' ? 'none' : 'not visible';
}

/** Splits `HOST:PORT` where HOST may be `[v6]`, `[v6]%iface`, `v4%iface` or `*`, and PORT may be `*` (0). */
export function splitEndpoint(text: string, wildcard: string): { address: string; port: number } | null {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return null;
  const portText = text.slice(colon + 1);
  const port = portText === '*' ? 0 : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || portText === '') return null;
  let host = text.slice(0, colon);
  const percent = host.indexOf('%');
  if (percent >= 0) {
    const close = host.indexOf(']', percent);
    host = close >= 0 ? host.slice(0, percent) + host.slice(close) : host.slice(0, percent);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '*' || host === '') host = wildcard;
  return { address: host, port };
}

function familyOf(address: string, fallback: Family): Family {
  return address.includes(':') ? 6 : fallback;
}

// ---------------------------------------------------------------------------------------------
// ss -H -tunape
// ---------------------------------------------------------------------------------------------

const SS_STATES: Record<string, SocketState> = {
  ESTAB: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
  UNCONN: 'UNCONN',
};

/** `users:(("name",pid=1,fd=3),("other name",pid=2,fd=4))`; a name may contain spaces, quotes and parentheses. */
const SS_USER = /\("(.*?)",pid=(\d+),fd=\d+\)/g;

export function parseSs(text: string): ParsedTool {
  const sockets: SocketRecord[] = [];
  let malformedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const t = line.trim().split(/\s+/);
    const protocol = t[0] as Protocol;
    const ssState = SS_STATES[t[1] ?? ''];
    // ss prints `*` only for the IPv6 wildcard of a dual-stack socket; the IPv4 one is 0.0.0.0.
    const local = splitEndpoint(t[4] ?? '', '::');
    const remote = splitEndpoint(t[5] ?? '', local?.address.includes(':') ? '::' : '0.0.0.0');
    if ((protocol !== 'tcp' && protocol !== 'udp') || !ssState || !local || !remote) {
      malformedLines++;
      continue;
    }
    // ss says UNCONN for a closed TCP socket; /proc calls that CLOSE.
    const state: SocketState = protocol === 'tcp' && ssState === 'UNCONN' ? 'CLOSE' : ssState;
    // Process names are chosen by the process, so the fields after the users list are read only from
    // after its last `))`: a name such as `x)) ino:1` cannot forge them.
    const usersAt = line.indexOf('users:((');
    const usersEnd = usersAt >= 0 ? line.lastIndexOf('))') : -1;
    const owners: ProcessRef[] = [];
    if (usersAt >= 0 && usersEnd > usersAt) {
      for (const m of line.slice(usersAt, usersEnd + 2).matchAll(SS_USER)) {
        const pid = Number(m[2]);
        if (!owners.some((o) => o.pid === pid)) owners.push(ref(pid, m[1]!));
      }
    }
    owners.sort((a, b) => a.pid - b.pid);
    const details = usersEnd > usersAt ? line.slice(usersEnd + 2) : line;
    const ino = / ino:(\d+)/.exec(details);
    const uid = / uid:(\d+)/.exec(details);
    const inode = ino ? Number(ino[1]) : null;
    sockets.push({
      protocol,
      family: familyOf(local.address, 4),
      state,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      // -e prints uid only when it is not 0.
      uid: uid ? Number(uid[1]) : ino ? 0 : null,
      inode,
      owners,
      ownerStatus: ownerStatusOf(owners, state, inode),
    });
  }
  return { sockets, malformedLines };
}

// ---------------------------------------------------------------------------------------------
// lsof -nP -F pcuLftdPnT -i
// ---------------------------------------------------------------------------------------------

const LSOF_STATES: Record<string, SocketState> = {
  ESTABLISHED: 'ESTABLISHED',
  SYN_SENT: 'SYN_SENT',
  SYN_RECV: 'SYN_RECV',
  SYN_RCVD: 'SYN_RECV',
  FIN_WAIT1: 'FIN_WAIT1',
  FIN_WAIT_1: 'FIN_WAIT1',
  FIN_WAIT2: 'FIN_WAIT2',
  FIN_WAIT_2: 'FIN_WAIT2',
  TIME_WAIT: 'TIME_WAIT',
  CLOSED: 'CLOSE',
  CLOSE: 'CLOSE',
  CLOSE_WAIT: 'CLOSE_WAIT',
  LAST_ACK: 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

interface LsofFile {
  fd: string;
  type: string;
  device: string;
  protocol: string;
  name: string;
  tcpState: string | null;
}

/**
 * lsof's field output: one field per line, a letter then the value (`p123`, `cname with spaces`,
 * `n[::1]:80->[::1]:5000`, `TST=LISTEN`). A process set starts with `p`, each file with `f`. The
 * same socket held by several processes appears once per process; `d` (the inode on Linux, the
 * kernel address on macOS) merges them.
 */
export function parseLsofFields(text: string): ParsedTool {
  const byDevice = new Map<string, SocketRecord>();
  const sockets: SocketRecord[] = [];
  let malformedLines = 0;
  let proc: { pid: number; command: string | null; uid: number | null; user: string | null } | null = null;
  let file: LsofFile | null = null;

  const flush = () => {
    if (!proc || !file) return;
    const f = file;
    file = null;
    const protocol = f.protocol.toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') return;
    const [localText, remoteText] = f.name.split('->');
    const wildcard = f.type === 'IPv6' ? '::' : '0.0.0.0';
    const local = splitEndpoint(localText ?? '', wildcard);
    const remote = remoteText === undefined ? { address: wildcard, port: 0 } : splitEndpoint(remoteText, wildcard);
    let state: SocketState | undefined;
    if (protocol === 'udp') state = remoteText === undefined ? 'UNCONN' : 'ESTABLISHED';
    else state = f.tcpState === null ? undefined : LSOF_STATES[f.tcpState];
    if (!local || !remote || !state) {
      malformedLines++;
      return;
    }
    const owner = ref(proc.pid, proc.command, proc.uid, proc.user);
    const key = f.device ? `${protocol}/${f.device}` : null;
    const existing = key ? byDevice.get(key) : undefined;
    if (existing) {
      if (!existing.owners.some((o) => o.pid === owner.pid)) existing.owners.push(owner);
      existing.owners.sort((a, b) => a.pid - b.pid);
      return;
    }
    const record: SocketRecord = {
      protocol,
      family: f.type === 'IPv6' ? 6 : familyOf(local.address, 4),
      state,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      uid: proc.uid,
      inode: /^\d+$/.test(f.device) ? Number(f.device) : null,
      owners: [owner],
      ownerStatus: 'visible',
    };
    sockets.push(record);
    if (key) byDevice.set(key, record);
  };

  for (const line of text.split('\n')) {
    if (line === '') continue;
    const tag = line[0]!;
    const value = line.slice(1);
    switch (tag) {
      case 'p': {
        flush();
        const pid = Number(value);
        if (!Number.isInteger(pid)) {
          malformedLines++;
          proc = null;
        } else proc = { pid, command: null, uid: null, user: null };
        break;
      }
      case 'c':
        if (proc) proc.command = value;
        break;
      case 'u':
        if (proc && /^\d+$/.test(value)) proc.uid = Number(value);
        break;
      case 'L':
        if (proc) proc.user = value;
        break;
      case 'f':
        flush();
        file = { fd: value, type: '', device: '', protocol: '', name: '', tcpState: null };
        break;
      case 't':
        if (file) file.type = value;
        break;
      case 'd':
        if (file) file.device = value;
        break;
      case 'P':
        if (file) file.protocol = value;
        break;
      case 'n':
        if (file) file.name = value;
        break;
      case 'T':
        if (file && value.startsWith('ST=')) file.tcpState = value.slice(3);
        break;
      default:
        break; // other fields (TQR=, TQS=, g, R...) carry nothing the monitor uses
    }
  }
  flush();
  return { sockets, malformedLines };
}

// ---------------------------------------------------------------------------------------------
// netstat -anv (macOS)
// ---------------------------------------------------------------------------------------------

const BSD_STATES: Record<string, SocketState> = {
  ESTABLISHED: 'ESTABLISHED',
  SYN_SENT: 'SYN_SENT',
  SYN_RCVD: 'SYN_RECV',
  FIN_WAIT_1: 'FIN_WAIT1',
  FIN_WAIT_2: 'FIN_WAIT2',
  TIME_WAIT: 'TIME_WAIT',
  CLOSED: 'CLOSE',
  CLOSE_WAIT: 'CLOSE_WAIT',
  LAST_ACK: 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

/** `127.0.0.1.5037`, `*.7000`, `::1.8888`, `fe80::1%lo0.3000`, `*.*`: the port follows the last dot. */
function splitBsdEndpoint(text: string, wildcard: string): { address: string; port: number } | null {
  const dot = text.lastIndexOf('.');
  if (dot < 0) return null;
  const portText = text.slice(dot + 1);
  const port = portText === '*' ? 0 : Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  let host = text.slice(0, dot);
  const percent = host.indexOf('%');
  if (percent >= 0) host = host.slice(0, percent);
  if (host === '*' || host === '') host = wildcard;
  return { address: host, port };
}

const HEX_WORD = /^(0x)?[0-9a-f]+$/i;

/**
 * macOS `netstat -anv -p tcp` / `-p udp`. Two layouts exist: before macOS 13 the columns after the
 * state are `rhiwat shiwat pid epid ...`; since then `rxbytes txbytes rhiwat shiwat process:pid ...`,
 * where the process name (up to 16 characters) may contain spaces. UDP rows have no state column.
 * The header line says which layout follows.
 */
export function parseNetstatBsd(text: string): ParsedTool {
  const sockets: SocketRecord[] = [];
  let malformedLines = 0;
  let layout: 'named' | 'pid' | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('Proto')) {
      layout = line.includes('process:pid') ? 'named' : /\bpid\b/.test(line) ? 'pid' : null;
      continue;
    }
    const t = line.trim().split(/\s+/);
    const proto = /^(tcp|udp)(4|6|46)$/.exec(t[0] ?? '');
    if (!proto) continue;
    const protocol = proto[1] as Protocol;
    const wildcard = proto[2] === '4' ? '0.0.0.0' : '::';
    const local = splitBsdEndpoint(t[3] ?? '', wildcard);
    const remote = splitBsdEndpoint(t[4] ?? '', wildcard);
    let next = 5;
    let state: SocketState | undefined;
    if (protocol === 'tcp') state = BSD_STATES[t[next++] ?? ''];
    else state = remote && remote.port !== 0 ? 'ESTABLISHED' : 'UNCONN';
    if (!local || !remote || !state) {
      malformedLines++;
      continue;
    }
    const owners: ProcessRef[] = [];
    if (layout === 'pid') {
      const pid = Number(t[next + 2]);
      if (Number.isInteger(pid) && pid > 0) owners.push(ref(pid, null));
    } else if (layout === 'named') {
      const from = next + 4; // rxbytes txbytes rhiwat shiwat
      for (let j = from; j < t.length; j++) {
        const m = /:(\d+)$/.exec(t[j]!);
        if (!m || (j + 1 < t.length && !HEX_WORD.test(t[j + 1]!))) continue;
        const name = t.slice(from, j + 1).join(' ');
        const pid = Number(m[1]);
        if (pid > 0) owners.push(ref(pid, name.slice(0, name.length - m[0].length) || null));
        break;
      }
    }
    sockets.push({
      protocol,
      family: proto[2] === '4' ? 4 : 6,
      state,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      uid: null,
      inode: null,
      owners,
      ownerStatus: ownerStatusOf(owners, state, null),
    });
  }
  return { sockets, malformedLines };
}

// ---------------------------------------------------------------------------------------------
// Running the tools
// ---------------------------------------------------------------------------------------------

/** Only these directories are searched: never the daemon's PATH. */
export const SECURE_TOOL_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function locateTool(name: string, dirs: readonly string[] = SECURE_TOOL_DIRS): string | null {
  for (const dir of dirs) {
    const path = `${dir}/${name}`;
    if (existsSync(path)) return path;
  }
  return null;
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

/** execFile without a shell, a C locale and a minimal PATH; a timeout or an oversized output is a failure, not a hang. */
export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: 30_000, maxBuffer: 256 * 1024 * 1024, env: { PATH: SECURE_TOOL_DIRS.join(':'), LC_ALL: 'C' }, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
        resolve({ code, stdout, stderr: stderr || (err && code === null ? err.message : '') });
      },
    );
  });

export type ToolName = 'ss' | 'lsof' | 'netstat';

/** The invocations of each tool and how to read them; lsof exits 1 when it finds nothing, which is not an error. */
export const TOOL_COMMANDS: Record<ToolName, { binary: string; runs: ReadonlyArray<readonly string[]>; parse: (text: string) => ParsedTool; okCodes: readonly number[] }> = {
  ss: { binary: 'ss', runs: [['-H', '-tunape']], parse: parseSs, okCodes: [0] },
  lsof: { binary: 'lsof', runs: [['-w', '-nP', '-F', 'pcuLftdPnT', '-i']], parse: parseLsofFields, okCodes: [0, 1] },
  netstat: { binary: 'netstat', runs: [['-anv', '-p', 'tcp'], ['-anv', '-p', 'udp']], parse: parseNetstatBsd, okCodes: [0] },
};
