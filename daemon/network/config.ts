/** The `network` section of ocsec.json: which source lists sockets, how often the owner index is rebuilt, and name resolution for the egress allowlist. */
import { z } from 'zod';

export const networkConfigSchema = z
  .strictObject({
    /** auto: /proc, then ss, then lsof on Linux; lsof, then netstat elsewhere. A named source is used alone. */
    sampler: z.enum(['auto', 'procfs', 'ss', 'lsof', 'netstat']).default('auto'),
    /** Every this many samples the socket→process index is rebuilt from every process's fd table. */
    full_scan_every: z.number().int().min(1).max(1000).default(10),
    /** How long a resolved allowlist host name (and a reverse lookup) is trusted. */
    dns_ttl_seconds: z.number().int().min(10).max(86_400).default(300),
    /** Reverse-resolve remote addresses no allowlist name covers (forward-confirmed before use). */
    reverse_lookup: z.boolean().default(true),
    /** The first scheduled sample waits this long after the daemon starts, so services started alongside it at boot have settled. */
    start_delay_seconds: z.number().int().min(0).max(3600).default(30),
  })
  .prefault({});

export type NetworkConfig = z.output<typeof networkConfigSchema>;
