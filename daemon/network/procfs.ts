/** Linux socket tables read straight from /proc/net/{tcp,tcp6,udp,udp6}: parsing, and reading them in slices. */
import { closeSync, openSync, readSync } from 'node:fs';
import { decodeProcAddress, type Family } from './addresses.js';
import type { TimeSlicer } from './slicer.js';
import { TCP_STATES, type Protocol, type SocketState } from './sockets.js';

/** One row of a /proc/net table, before owners are attached. */
export interface ProcNetEntry {
  protocol: Protocol;
  family: Family;
  state: SocketState;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  uid: number;
  /** 0 when no process holds the socket (TIME_WAIT). */
  inode: number;
}

export const PROC_NET_TABLES: ReadonlyArray<{ file: string; protocol: Protocol; family: Family }> = [
  { file: 'tcp', protocol: 'tcp', family: 4 },
  { file: 'tcp6', protocol: 'tcp', family: 6 },
  { file: 'udp', protocol: 'udp', family: 4 },
  { file: 'udp6', protocol: 'udp', family: 6 },
];

/** UDP reuses the TCP numbers: 07 (CLOSE) is a bound, unconnected socket, 01 a connected one. */
function stateOf(protocol: Protocol, code: number): SocketState | null {
  if (protocol === 'udp') return code === 7 ? 'UNCONN' : code === 1 ? 'ESTABLISHED' : null;
  return TCP_STATES[code - 1] ?? null;
}

/**
 * Address columns repeat (127.0.0.1, ::, the host's own addresses) and decoding one is most of the
 * cost of a row, so decoded text is memoised: IPv4 by its 32-bit value, IPv6 by its hex; each map is
 * dropped when it grows large.
 */
const decodedV4 = new Map<number, string>();
const decodedV6 = new Map<string, string | null>();
const MAX_MEMOISED_ADDRESSES = 65_536;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** The value of text[start, end) read as hex digits, or -1 if any is not one (at most 8 digits). */
function readHex(text: string, start: number, end: number): number {
  let value = 0;
  for (let k = start; k < end; k++) {
    const digit = hexValue(text.charCodeAt(k));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

function decodeAddressAt(text: string, start: number, end: number): string | null {
  if (end - start === 8) {
    const value = readHex(text, start, end);
    if (value < 0) return null;
    let address = decodedV4.get(value);
    if (address === undefined) {
      if (decodedV4.size >= MAX_MEMOISED_ADDRESSES) decodedV4.clear();
      address = decodeProcAddress(text.slice(start, end))!;
      decodedV4.set(value, address);
    }
    return address;
  }
  if (end - start !== 32) return null;
  const hex = text.slice(start, end);
  let address = decodedV6.get(hex);
  if (address === undefined) {
    if (decodedV6.size >= MAX_MEMOISED_ADDRESSES) decodedV6.clear();
    address = decodeProcAddress(hex);
    decodedV6.set(hex, address);
  }
  return address;
}

/** Index of the first non-space at or after i (before end). */
function skipSpaces(text: string, i: number, end: number): number {
  while (i < end && text.charCodeAt(i) === 32) i++;
  return i;
}

/** Index of the first space at or after i (before end). */
function skipToken(text: string, i: number, end: number): number {
  while (i < end && text.charCodeAt(i) !== 32) i++;
  return i;
}

/** Reads `HEXADDR:HEXPORT` at i; returns the index after it, or -1 when it is not one. */
function readEndpoint(text: string, i: number, end: number, out: { address: string; port: number }): number {
  const tokenEnd = skipToken(text, i, end);
  const colon = tokenEnd - 5;
  if (colon <= i || text.charCodeAt(colon) !== 58 /* : */) return -1;
  const address = decodeAddressAt(text, i, colon);
  const port = readHex(text, colon + 1, tokenEnd);
  if (address === null || port < 0) return -1;
  out.address = address;
  out.port = port;
  return tokenEnd;
}

function readDecimal(text: string, start: number, end: number): number {
  if (end <= start) return NaN;
  let value = 0;
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return NaN;
    value = value * 10 + c;
  }
  return value;
}

const localScratch = { address: '', port: 0 };
const remoteScratch = { address: '', port: 0 };

/**
 * Parses the data line text[start, end): `sl: local rem st tx:rx tr:tm retrnsmt uid timeout inode ...`
 * (the kernel's tcp4_seq_show / tcp6_seq_show / udp4_format_sock layout). Returns null for a line it
 * cannot read (counted by the caller, never fatal).
 */
export function parseProcNetRow(text: string, start: number, end: number, protocol: Protocol, family: Family): ProcNetEntry | null {
  let i = skipSpaces(text, start, end);
  const slEnd = skipToken(text, i, end);
  if (slEnd === i || text.charCodeAt(slEnd - 1) !== 58 /* : */) return null;
  i = readEndpoint(text, skipSpaces(text, slEnd, end), end, localScratch);
  if (i < 0) return null;
  i = readEndpoint(text, skipSpaces(text, i, end), end, remoteScratch);
  if (i < 0) return null;
  i = skipSpaces(text, i, end);
  const stateEnd = skipToken(text, i, end);
  const code = stateEnd - i === 2 ? readHex(text, i, stateEnd) : -1;
  const state = code < 0 ? null : stateOf(protocol, code);
  if (state === null) return null;
  i = stateEnd;
  for (let skip = 0; skip < 3; skip++) i = skipToken(text, skipSpaces(text, i, end), end); // tx:rx tr:tm retrnsmt
  const uidStart = skipSpaces(text, i, end);
  const uidEnd = skipToken(text, uidStart, end);
  const inodeStart = skipSpaces(text, skipToken(text, skipSpaces(text, uidEnd, end), end), end); // after timeout
  const inodeEnd = skipToken(text, inodeStart, end);
  const uid = readDecimal(text, uidStart, uidEnd);
  const inode = readDecimal(text, inodeStart, inodeEnd);
  if (Number.isNaN(uid) || Number.isNaN(inode)) return null;
  return {
    protocol,
    family,
    state,
    localAddress: localScratch.address,
    localPort: localScratch.port,
    remoteAddress: remoteScratch.address,
    remotePort: remoteScratch.port,
    uid,
    inode,
  };
}

export interface ParsedTable {
  entries: ProcNetEntry[];
  malformedLines: number;
}

/**
 * Reads a /proc/net table. The kernel hands out a seq_file one page per read() however large the
 * buffer, and generating 10,000 rows takes ~20 ms, so the reads yield between pages when the slice
 * is used up. Throws when the file cannot be opened (the caller falls back to another source).
 */
export async function readProcNetTable(path: string, slicer: TimeSlicer): Promise<string> {
  const fd = openSync(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(1 << 18);
    let length = 0;
    for (;;) {
      if (buffer.length - length < 1 << 14) {
        const grown = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (slicer.isDue()) await slicer.yieldNow();
    }
    return buffer.toString('latin1', 0, length);
  } finally {
    closeSync(fd);
  }
}

/** Parses a whole table (header line first), yielding between batches of lines when a slicer is given. */
export async function parseProcNet(text: string, protocol: Protocol, family: Family, slicer?: TimeSlicer): Promise<ParsedTable> {
  const entries: ProcNetEntry[] = [];
  let malformedLines = 0;
  let start = text.indexOf('\n') + 1; // skip the header
  if (start === 0) return { entries, malformedLines };
  let row = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (skipSpaces(text, start, end) < end) {
      const entry = parseProcNetRow(text, start, end, protocol, family);
      if (entry) entries.push(entry);
      else malformedLines++;
    }
    start = end + 1;
    if ((++row & 255) === 0 && slicer?.isDue()) await slicer.yieldNow();
  }
  return { entries, malformedLines };
}
