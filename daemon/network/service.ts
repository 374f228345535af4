/** Builds the network monitor from the daemon's settings: the socket sampler, the name resolver and the shipped insecure-port table. */
import type { Logger } from 'pino';
import type { Layout } from '../../client/layout.js';
import type { Actor, AuditTrail } from '../audit/trail.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { PolicyStore } from '../policy/store.js';
import type { Db } from '../store/db.js';
import { openclawConfigPath } from './gateway.js';
import { NetworkMonitor } from './monitor.js';
import { loadInsecurePorts } from './policy.js';
import { NameResolver, type DnsFunctions } from './resolver.js';
import { SocketSampler, type SamplerOptions } from './sampler.js';

/** What tests replace: /proc, the tools, DNS, this host's addresses. */
export interface NetworkOverrides {
  sampler?: Pick<SamplerOptions, 'procRoot' | 'runCommand' | 'locateTool' | 'platform' | 'users'>;
  dns?: DnsFunctions;
  localAddresses?: () => Set<string>;
}

export interface NetworkServiceOptions {
  config: Config;
  layout: Layout;
  db: Db;
  audit: AuditTrail;
  clock: Clock;
  log: Logger;
  policies: PolicyStore;
  self: Actor;
  env: NodeJS.ProcessEnv;
  overrides?: NetworkOverrides;
}

export function createNetworkMonitor(o: NetworkServiceOptions): NetworkMonitor {
  const settings = o.config.network;
  const sampler = new SocketSampler({ preference: settings.sampler, fullScanEvery: settings.full_scan_every, now: () => o.clock.now(), ...o.overrides?.sampler });
  const resolver = new NameResolver({
    clock: o.clock,
    ttlMs: settings.dns_ttl_seconds * 1000,
    reverseLookups: settings.reverse_lookup,
    ...(o.overrides?.dns ? { dns: o.overrides.dns } : {}),
  });
  return new NetworkMonitor({
    db: o.db,
    audit: o.audit,
    clock: o.clock,
    log: o.log,
    layout: o.layout,
    policies: o.policies,
    self: o.self,
    sampler,
    resolver,
    insecure: loadInsecurePorts(),
    gatewayConfigPath: openclawConfigPath(o.layout.stateDir, o.env),
    startDelayMs: settings.start_delay_seconds * 1000,
    ...(o.overrides?.localAddresses ? { localAddresses: o.overrides.localAddresses } : {}),
  });
}
