/**
 * Names for the egress allowlist: the allowlist's host names resolved to address sets on a
 * schedule (getaddrinfo, kept for a TTL), and reverse lookups of unknown remote addresses, trusted
 * only when forward-confirmed (the PTR name resolves back to the address), since whoever controls
 * an address's reverse zone can put any name in it.
 */
import { lookup as dnsLookup, reverse as dnsReverse } from 'node:dns/promises';
import type { Clock } from '../clock.js';
import { canonicalIp, unmapV4 } from './addresses.js';

export interface DnsFunctions {
  /** getaddrinfo: every address of a name. */
  lookup(host: string): Promise<string[]>;
  /** PTR names of an address. */
  reverse(ip: string): Promise<string[]>;
}

export const systemDns: DnsFunctions = {
  lookup: async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address),
  reverse: (ip) => dnsReverse(ip),
};

export interface ForwardEntry {
  host: string;
  /** Addresses of the recent answers (see ipsSeen). */
  ips: Set<string>;
  /**
   * When each address was last in an answer. Round-robin names (CDNs) answer with a different
   * subset each time, and a client may still be connected to an address from an earlier answer,
   * so addresses stay for two TTLs after they were last seen instead of flapping in and out.
   */
  ipsSeen: Map<string, number>;
  resolvedAt: number | null;
  error: string | null;
}

interface ReverseEntry {
  names: string[];
  at: number;
}

export interface ResolverOptions {
  dns?: DnsFunctions;
  clock: Clock;
  ttlMs: number;
  timeoutMs?: number;
  reverseLookups?: boolean;
  /** Reverse lookups started per egress sample at most; the rest wait for the next sample. */
  reverseBudget?: number;
}

const CONCURRENCY = 8;

function withTimeout<T>(work: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    work.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) await Promise.all(items.slice(i, i + CONCURRENCY).map(work));
}

export class NameResolver {
  private readonly forwardCache = new Map<string, ForwardEntry>();
  private readonly reverseCache = new Map<string, ReverseEntry>();
  private readonly dns: DnsFunctions;
  private readonly timeoutMs: number;

  constructor(private readonly opts: ResolverOptions) {
    this.dns = opts.dns ?? systemDns;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  /** Resolves the given names: those never resolved or older than the TTL, or all of them with force. Failures keep the last good set. */
  async refresh(hosts: readonly string[], force = false): Promise<void> {
    const now = this.opts.clock.now();
    for (const host of this.forwardCache.keys()) if (!hosts.includes(host)) this.forwardCache.delete(host);
    const due = [...new Set(hosts)].filter((host) => {
      const entry = this.forwardCache.get(host);
      return force || !entry || entry.resolvedAt === null || now - entry.resolvedAt >= this.opts.ttlMs;
    });
    await inBatches(due, async (host) => {
      const previous = this.forwardCache.get(host);
      try {
        const answer = await withTimeout(this.dns.lookup(host), this.timeoutMs, this.opts.clock, `resolving ${host}`);
        const at = this.opts.clock.now();
        const ipsSeen = new Map(previous?.ipsSeen ?? []);
        for (const ip of answer) ipsSeen.set(canonicalIp(unmapV4(ip)), at);
        for (const [ip, seen] of ipsSeen) if (at - seen >= 2 * this.opts.ttlMs) ipsSeen.delete(ip);
        this.forwardCache.set(host, { host, ips: new Set(ipsSeen.keys()), ipsSeen, resolvedAt: at, error: null });
      } catch (err) {
        // An allowlisted name that stops resolving keeps its last addresses until the TTL runs out twice over.
        const keep = previous?.resolvedAt != null && this.opts.clock.now() - previous.resolvedAt < 2 * this.opts.ttlMs;
        this.forwardCache.set(host, {
          host,
          ips: keep ? previous!.ips : new Set(),
          ipsSeen: keep ? previous!.ipsSeen : new Map(),
          resolvedAt: keep ? previous!.resolvedAt : null,
          error: (err as Error).message,
        });
      }
    });
  }

  forward(host: string): ForwardEntry | undefined {
    return this.forwardCache.get(host);
  }

  forwardEntries(): ForwardEntry[] {
    return [...this.forwardCache.values()].sort((a, b) => a.host.localeCompare(b.host));
  }

  /** Allowlist names whose address set holds this address. */
  knownNames(ip: string): string[] {
    const canonical = canonicalIp(unmapV4(ip));
    return [...this.forwardCache.values()].filter((entry) => entry.ips.has(canonical)).map((entry) => entry.host);
  }

  /**
   * Forward-confirmed reverse names of each address (cached for the TTL, misses too); at most
   * `reverseBudget` new lookups per call. Returns the names known now for every address asked.
   */
  async reverseNames(ips: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const now = this.opts.clock.now();
    const toLookUp: string[] = [];
    for (const ip of new Set(ips.map((a) => canonicalIp(unmapV4(a))))) {
      const cached = this.reverseCache.get(ip);
      if (cached && now - cached.at < this.opts.ttlMs) out.set(ip, cached.names);
      else if (this.opts.reverseLookups !== false) toLookUp.push(ip);
    }
    await inBatches(toLookUp.slice(0, this.opts.reverseBudget ?? 32), async (ip) => {
      const names = await this.confirmedReverse(ip);
      this.reverseCache.set(ip, { names, at: this.opts.clock.now() });
      out.set(ip, names);
    });
    if (this.reverseCache.size > 10_000) {
      for (const [ip, entry] of this.reverseCache) if (now - entry.at >= this.opts.ttlMs) this.reverseCache.delete(ip);
    }
    return out;
  }

  private async confirmedReverse(ip: string): Promise<string[]> {
    let candidates: string[];
    try {
      candidates = await withTimeout(this.dns.reverse(ip), this.timeoutMs, this.opts.clock, `reverse lookup of ${ip}`);
    } catch {
      return [];
    }
    const confirmed: string[] = [];
    for (const candidate of candidates.slice(0, 4)) {
      const name = candidate.replace(/\.$/, '').toLowerCase();
      try {
        const back = await withTimeout(this.dns.lookup(name), this.timeoutMs, this.opts.clock, `resolving ${name}`);
        if (back.some((a) => canonicalIp(unmapV4(a)) === ip)) confirmed.push(name);
      } catch {
        // a PTR name that does not resolve back is not trusted
      }
    }
    return confirmed;
  }
}
