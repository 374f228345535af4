/** IP addresses as the network monitor needs them: /proc hex decoding, canonical text, loopback and wildcard tests, CIDR blocks. */
import { isIPv4, isIPv6 } from 'node:net';
import { endianness } from 'node:os';

export type Family = 4 | 6;

/** Binary form of an address; IPv6 zone ids (`%eth0`) are dropped, they do not change which host it is. */
export interface IpBytes {
  family: Family;
  bytes: Uint8Array;
}

const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

function parseIpv4Bytes(text: string): Uint8Array | null {
  if (!isIPv4(text)) return null;
  return Uint8Array.from(text.split('.').map(Number));
}

function parseIpv6Bytes(text: string): Uint8Array | null {
  const address = text.split('%')[0]!;
  if (!isIPv6(address)) return null;
  const bytes = new Uint8Array(16);
  let groups: string[];
  const [head, tail] = address.includes('::') ? address.split('::') as [string, string] : [address, undefined];
  const toGroups = (part: string): string[] => {
    if (part === '') return [];
    const words = part.split(':');
    const last = words[words.length - 1]!;
    if (last.includes('.')) {
      const v4 = parseIpv4Bytes(last)!;
      words.splice(words.length - 1, 1, ((v4[0]! << 8) | v4[1]!).toString(16), ((v4[2]! << 8) | v4[3]!).toString(16));
    }
    return words;
  };
  if (tail === undefined) groups = toGroups(head);
  else {
    const left = toGroups(head);
    const right = toGroups(tail);
    groups = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  }
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/** Parses an IPv4 or IPv6 literal (brackets and zone ids allowed); null for anything else, host names included. */
export function parseIp(text: string): IpBytes | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIpv4Bytes(bare);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIpv6Bytes(bare);
  return v6 ? { family: 6, bytes: v6 } : null;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** RFC 5952 text: lower case, the longest run of zero groups compressed, v4-mapped shown as ::ffff:a.b.c.d. */
export function formatIp(ip: IpBytes): string {
  const b = ip.bytes;
  if (ip.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (isV4Mapped(b)) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The canonical text of an address literal (so `::0001` and `::1` compare equal), or the input unchanged when it is not one. */
export function canonicalIp(text: string): string {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : text;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`: a v4-mapped address is the IPv4 host it names, for every decision made about it. */
export function unmapV4(text: string): string {
  const ip = parseIp(text);
  if (!ip || ip.family === 4 || !isV4Mapped(ip.bytes)) return text;
  const b = ip.bytes;
  return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
}

/**
 * Decodes an address column of /proc/net/{tcp,udp}{,6}: the kernel prints each 32-bit word of the
 * network-order address as a native integer in hex, so on little-endian hosts every word's bytes
 * come out reversed.
 */
export function decodeProcAddress(hex: string, littleEndian = HOST_IS_LITTLE_ENDIAN): string | null {
  if (hex.length !== 8 && hex.length !== 32) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let word = 0; word < hex.length / 8; word++) {
    for (let i = 0; i < 4; i++) {
      const value = parseInt(hex.substr(word * 8 + i * 2, 2), 16);
      if (Number.isNaN(value)) return null;
      bytes[word * 4 + (littleEndian ? 3 - i : i)] = value;
    }
  }
  return formatIp({ family: hex.length === 8 ? 4 : 6, bytes });
}

export function isLoopback(text: string): boolean {
  const ip = parseIp(unmapV4(text));
  if (!ip) return text === 'localhost';
  if (ip.family === 4) return ip.bytes[0] === 127;
  return ip.bytes.every((byte, i) => byte === (i === 15 ? 1 : 0));
}

/** Bound to every interface: 0.0.0.0, ::, ::ffff:0.0.0.0, or the tools' `*`. */
export function isWildcard(text: string): boolean {
  if (text === '*') return true;
  const ip = parseIp(text);
  if (!ip) return false;
  if (ip.family === 6 && isV4Mapped(ip.bytes)) return ip.bytes.subarray(12).every((b) => b === 0);
  return ip.bytes.every((b) => b === 0);
}

export type BindScope = 'loopback' | 'wildcard' | 'address';

export function bindScope(text: string): BindScope {
  if (isWildcard(text)) return 'wildcard';
  return isLoopback(text) ? 'loopback' : 'address';
}

export interface CidrBlock {
  text: string;
  family: Family;
  network: Uint8Array;
  prefix: number;
}

/** Parses `10.0.0.0/8` or `2001:db8::/32`; host bits must be zero (a typo'd mask is refused, not silently widened). */
export function parseCidr(text: string): CidrBlock | string {
  const slash = text.indexOf('/');
  if (slash < 0) return 'expected ADDRESS/PREFIX, e.g. 10.0.0.0/8 or 2001:db8::/32';
  const ip = parseIp(text.slice(0, slash));
  if (!ip || text.slice(0, slash).includes('%')) return `"${text.slice(0, slash)}" is not an IPv4 or IPv6 address`;
  const prefixText = text.slice(slash + 1);
  const max = ip.family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return `prefix "${prefixText}" must be 0-${max} for IPv${ip.family}`;
  const prefix = Number(prefixText);
  const masked = maskBytes(ip.bytes, prefix);
  if (masked.some((b, i) => b !== ip.bytes[i])) {
    return `host bits are set; the network is ${formatIp({ family: ip.family, bytes: masked })}/${prefix}`;
  }
  return { text: `${formatIp(ip)}/${prefix}`, family: ip.family, network: masked, prefix };
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Whether the block contains the address; a v4-mapped address is tested as the IPv4 address it is. */
export function cidrContains(block: CidrBlock, address: string): boolean {
  const ip = parseIp(unmapV4(address));
  if (!ip || ip.family !== block.family) return false;
  const masked = maskBytes(ip.bytes, block.prefix);
  return masked.every((b, i) => b === block.network[i]);
}
