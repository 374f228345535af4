/** The socket table every sampler produces, whatever its source (/proc, ss, lsof, netstat), and how it is classified. */
import { bindScope, isLoopback, unmapV4, type BindScope, type Family } from './addresses.js';

export type Protocol = 'tcp' | 'udp';

/** TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h); UDP uses UNCONN (bound, not connected) and ESTABLISHED. */
export const TCP_STATES = [
  'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT',
  'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV',
] as const;
export type TcpState = (typeof TCP_STATES)[number];
export type SocketState = TcpState | 'UNCONN';

/** A process holding a socket, as far as it could be seen. */
export interface ProcessRef {
  pid: number;
  /** Short name (comm on Linux), what approved_ports.json's `command` is compared with. */
  command: string | null;
  exe: string | null;
  cmdline: string | null;
  uid: number | null;
  user: string | null;
}

/**
 * - visible: at least one owning process was found.
 * - not visible: some process holds it but this user cannot see which (another user's process, or
 *   a tool that did not say); kept with pid null, never dropped.
 * - none: held by no process (TIME_WAIT, orphaned FIN_WAIT2: inode 0 in /proc).
 */
export type OwnerStatus = 'visible' | 'not visible' | 'none';

export interface SocketRecord {
  protocol: Protocol;
  family: Family;
  state: SocketState;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** uid that created the socket, from the kernel; null when the source does not report it. */
  uid: number | null;
  /** Socket inode; null when the source does not report it. */
  inode: number | null;
  /** Owning processes, lowest pid first (several after fork or fd passing). */
  owners: ProcessRef[];
  ownerStatus: OwnerStatus;
}

export type SamplerTool = 'procfs' | 'ss' | 'lsof' | 'netstat';

export interface Coverage {
  sockets: number;
  attributed: number;
  /** Held by a process this user cannot see (reported with pid null, owner "not visible"). */
  unattributed: number;
  /** Held by no process at all (TIME_WAIT and similar). */
  unowned: number;
  /** How owners were found this time: a scan of every process, only what changed since the last sample, or the tool's own output. */
  attribution: 'full-scan' | 'incremental' | 'tool';
  processesScanned: number;
  /** Processes whose fd table could not be read (another user's, or exited mid-scan). */
  processesUnreadable: number;
  /** /proc entries that vanished or could not be read during the sample; never fatal. */
  entriesUnreadable: number;
  /** Lines of the source that could not be parsed (skipped). */
  malformedLines: number;
  note: string;
}

export interface SocketSnapshot {
  tool: SamplerTool;
  /** Why a fallback tool was used instead of the preferred source, else null. */
  fallbackReason: string | null;
  takenAt: number;
  durationMs: number;
  /** Longest stretch the sample held the event loop without yielding. */
  longestSliceMs: number;
  /** Where the time went (ms): reading and parsing the tables, finding owners (fd scans), building records; tool runs for the tools. */
  phasesMs: Record<string, number>;
  sockets: SocketRecord[];
  coverage: Coverage;
}

export const COVERAGE_NOTE =
  'A sample sees the sockets that exist at that moment: a connection opened and closed between two samples is not seen.';

/** Bound and waiting for peers: TCP LISTEN, or an unconnected UDP socket bound to a port. */
export function isListening(s: SocketRecord): boolean {
  if (s.protocol === 'tcp') return s.state === 'LISTEN';
  return s.state === 'UNCONN' && s.localPort > 0;
}

/** TCP states in which a connection exists or is being set up from this side; TIME_WAIT and the server half-open states are not. */
const CONNECTION_STATES = new Set<SocketState>(['ESTABLISHED', 'SYN_SENT', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING']);

export function isConnection(s: SocketRecord): boolean {
  if (s.remotePort === 0) return false;
  return s.protocol === 'tcp' ? CONNECTION_STATES.has(s.state) : s.state === 'ESTABLISHED';
}

export function scopeOf(s: SocketRecord): BindScope {
  return bindScope(s.localAddress);
}

/**
 * A connection is inbound when its local end is a port this host listens on (a peer connected to
 * us); everything else was opened from here. Keys are protocol/port/address, with wildcard binds
 * matching any local address.
 */
export function inboundTester(sockets: readonly SocketRecord[]): (s: SocketRecord) => boolean {
  const exact = new Set<string>();
  const wildcard = new Set<string>();
  for (const l of sockets) {
    if (!isListening(l)) continue;
    if (bindScope(l.localAddress) === 'wildcard') wildcard.add(`${l.protocol}/${l.localPort}`);
    else exact.add(`${l.protocol}/${l.localPort}/${unmapV4(l.localAddress)}`);
  }
  return (s) => wildcard.has(`${s.protocol}/${s.localPort}`) || exact.has(`${s.protocol}/${s.localPort}/${unmapV4(s.localAddress)}`);
}

/** Egress candidates: outbound connections whose remote end is not this host. */
export function outboundConnections(sockets: readonly SocketRecord[], localAddresses: ReadonlySet<string>): SocketRecord[] {
  const isInbound = inboundTester(sockets);
  return sockets.filter((s) => {
    if (!isConnection(s)) return false;
    const remote = unmapV4(s.remoteAddress);
    if (isLoopback(remote) || localAddresses.has(remote)) return false;
    return !isInbound(s);
  });
}

export function primaryOwner(s: SocketRecord): ProcessRef | null {
  return s.owners[0] ?? null;
}
