/**
 * The network policy files: approved_ports.json and egress_allowlist.json (the reference formats,
 * plus `expires`/`justification` and `cidr`), validated with file, entry index and field on error,
 * and the insecure-port table shipped in policies/insecure-ports.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseJsonText, type LoadResult } from '../json-file.js';
import { patternSchema, withCommentKeys, type CompiledPattern } from '../policy/command-policy.js';
import { defaultPoliciesDir } from '../policy/risk.js';
import { canonicalIp, parseCidr, type CidrBlock } from './addresses.js';

const PORT_MESSAGE = 'a port is a whole number from 1 to 65535';

export const portNumber = z.number({ error: PORT_MESSAGE }).int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE);

/** The reference lower-cases the protocol before comparing, so "TCP" keeps working. */
export const protocolName = z.preprocess(
  (value) => (typeof value === 'string' ? value.toLowerCase() : value),
  z.enum(['tcp', 'udp'], { error: 'protocol is "tcp" or "udp"' }),
);

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO 8601 date, e.g. 2026-12-31 or 2026-12-31T23:59:59Z');

/** `*`, `localhost`, or an IP literal (brackets allowed): the bind address a rule was written for. */
const bindHost = z.string().refine((s) => s === '*' || s === 'localhost' || isIP(s.replace(/^\[(.*)\]$/, '$1').split('%')[0]!) !== 0, 'expected "*", "localhost" or an IP address');

const DNS_NAME = /^(?=.{1,253}$)(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\.?$/;

/** A host name or an IP literal: no scheme, path, port or wildcard (use host_regex or cidr for sets). */
const egressHost = z.string().refine((s) => isIP(s) !== 0 || DNS_NAME.test(s), 'expected a host name (api.example.com) or an IP address, without scheme, port or path; use host_regex or cidr for several hosts');

const cidrBlock = z.string().transform((text, ctx): CidrBlock => {
  const block = parseCidr(text);
  if (typeof block === 'string') {
    ctx.addIssue({ code: 'custom', message: `invalid CIDR "${text}": ${block}`, input: text });
    return z.NEVER;
  }
  return block;
});

export const approvedPortRuleSchema = withCommentKeys({
  port: portNumber,
  protocol: protocolName.default('tcp'),
  /** Process name (comm), compared case-insensitively. */
  command: z.string().min(1).max(256).optional(),
  /** The bind address the exposure was approved for; `*` or a wildcard approves every interface. */
  host: bindHost.optional(),
  /** Written by baseline generators (the reference's and ours) for the reviewer; never matched. */
  user: z.string().max(256).optional(),
  pid: z.union([z.number().int(), z.string().max(64)]).optional(),
  /** ocsec additions: after `expires` the rule no longer approves anything. */
  expires: isoDate.optional(),
  justification: z.string().max(2000).optional(),
});

export const approvedPortsSchema = z.array(approvedPortRuleSchema);
export type ApprovedPortRule = z.output<typeof approvedPortRuleSchema>;

export const egressRuleSchema = withCommentKeys({
  protocol: protocolName.default('tcp'),
  port: portNumber.optional(),
  command: z.string().min(1).max(256).optional(),
  host: egressHost.optional(),
  host_regex: patternSchema.optional(),
  cidr: cidrBlock.optional(),
}).superRefine((rule, ctx) => {
  const given = (['host', 'host_regex', 'cidr'] as const).filter((key) => rule[key] !== undefined);
  if (given.length > 1) {
    ctx.addIssue({ code: 'custom', path: [given[1]!], message: `a rule names its destination one way: ${given.join(' and ')} are both set; split it into two rules` });
  }
});

export const egressAllowlistSchema = z.array(egressRuleSchema);
export type EgressRule = z.output<typeof egressRuleSchema>;

export function parseApprovedPorts(file: string, text: string): LoadResult<ApprovedPortRule[]> {
  return parseJsonText(file, text, approvedPortsSchema);
}

export function parseEgressAllowlist(file: string, text: string): LoadResult<EgressRule[]> {
  return parseJsonText(file, text, egressAllowlistSchema);
}

/** How a rule is shown in findings and logs: its index and its selectors. */
export function describePortRule(rule: ApprovedPortRule, index: number): string {
  return `rule [${index}] (${rule.port}/${rule.protocol}${rule.command ? `, command ${rule.command}` : ''}${rule.host ? `, host ${rule.host}` : ''})`;
}

export function describeEgressRule(rule: EgressRule, index: number): string {
  const parts = [rule.protocol, rule.port !== undefined ? `port ${rule.port}` : null, rule.command ? `command ${rule.command}` : null];
  if (rule.host) parts.push(`host ${rule.host}`);
  if (rule.host_regex) parts.push(`host_regex ${(rule.host_regex as CompiledPattern).source}`);
  if (rule.cidr) parts.push(`cidr ${rule.cidr.text}`);
  return `rule [${index}] (${parts.filter(Boolean).join(', ')})`;
}

export function canonicalRuleHost(host: string): string {
  return host === '*' || host === 'localhost' ? host : canonicalIp(host.replace(/^\[(.*)\]$/, '$1').split('%')[0]!);
}

// ---------------------------------------------------------------------------------------------
// policies/insecure-ports.json
// ---------------------------------------------------------------------------------------------

export const insecurePortsSchema = z
  .object({
    version: z.literal(1),
    comment: z.string().optional(),
    ports: z.array(
      z
        .object({
          port: portNumber,
          protocol: z.enum(['tcp', 'udp']),
          service: z.string().min(1),
          /** `any`: insecure wherever it listens; `beyond-loopback`: dangerous once reachable from other hosts. */
          exposure: z.enum(['any', 'beyond-loopback']),
          why: z.string().min(1),
          recommendation: z.string().min(1),
        })
        .strict(),
    ),
  })
  .strict()
  .superRefine((table, ctx) => {
    const seen = new Set<string>();
    table.ports.forEach((entry, i) => {
      const key = `${entry.port}/${entry.protocol}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['ports', i], message: `${key} is listed twice` });
      seen.add(key);
    });
  });

export type InsecurePortEntry = z.output<typeof insecurePortsSchema>['ports'][number];
export type InsecurePortTable = ReadonlyMap<string, InsecurePortEntry>;

export function defaultInsecurePortsPath(): string {
  return join(defaultPoliciesDir(), 'insecure-ports.json');
}

/** Reads the shipped table; a broken table is a startup error naming the problem (the package is damaged). */
export function loadInsecurePorts(path = defaultInsecurePortsPath()): InsecurePortTable {
  const loaded = parseJsonText(path, readFileSync(path, 'utf8'), insecurePortsSchema);
  if (!loaded.ok) throw new Error(`${path}:${loaded.problem.line}:${loaded.problem.column}: ${loaded.problem.field}: ${loaded.problem.message}`);
  return new Map(loaded.value.ports.map((entry) => [`${entry.port}/${entry.protocol}`, entry]));
}
