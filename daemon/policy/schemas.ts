/** JSON Schemas of the files a person edits, generated from the zod schemas that validate them, for editors and CI. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { configSchema } from '../config.js';
import { commandPolicySchema, promptPolicySchema } from './command-policy.js';
import { defaultPoliciesDir, shellEscapeListSchema } from './risk.js';
import { skillAuditDataSchema } from '../security-audit/skills.js';
import { approvedPortsSchema, egressAllowlistSchema, insecurePortsSchema } from '../network/policy.js';
import { catalogSchema } from '../compliance/catalog.js';

/** Policy files accept `comment` and `_`-prefixed keys as notes (JSON has no comments). */
function withNoteKeys(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return { ...schema, properties: { comment: { type: 'string' }, ...properties }, patternProperties: { '^_': {} } };
}

function toSchema(title: string, schema: z.ZodType, notes: boolean): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...(notes ? withNoteKeys(generated) : generated), title };
}

/** A policy file that is an array of rules: the notes are allowed in each rule. */
function toRuleListSchema(title: string, schema: z.ZodType): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...generated, items: withNoteKeys(generated.items as Record<string, unknown>), title };
}

export function policyJsonSchemas(): Record<string, Record<string, unknown>> {
  return {
    'command-policy.schema.json': toSchema('ocsec command-policy.json', commandPolicySchema, true),
    'prompt-policy.schema.json': toSchema('ocsec prompt-policy.json', promptPolicySchema, true),
    'approved-ports.schema.json': toRuleListSchema('ocsec approved_ports.json', approvedPortsSchema),
    'egress-allowlist.schema.json': toRuleListSchema('ocsec egress_allowlist.json', egressAllowlistSchema),
    'insecure-ports.schema.json': toSchema('ocsec insecure-ports.json (insecure-port table)', insecurePortsSchema, false),
    'ocsec.schema.json': toSchema('ocsec ocsec.json (daemon settings)', configSchema, false),
    'shell-escapes.schema.json': toSchema('ocsec shell-escapes.json (risk list)', shellEscapeListSchema, false),
    'skill-audit.schema.json': toSchema('ocsec skill-audit.json (lists for the skills supply-chain scan)', skillAuditDataSchema, false),
    'compliance-controls.schema.json': toSchema('ocsec compliance-controls.json (ISO 27001 / NIST mapping of each compliance check)', catalogSchema, false),
  };
}

export function renderSchema(schema: Record<string, unknown>): string {
  return JSON.stringify(schema, null, 2) + '\n';
}

/** `npm run schemas`: rewrites policies/schemas/ (a test fails when they drift from the code). */
export function writePolicySchemas(dir = join(defaultPoliciesDir(), 'schemas')): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(policyJsonSchemas()).map(([name, schema]) => {
    writeFileSync(join(dir, name), renderSchema(schema));
    return join(dir, name);
  });
}

if (process.argv[1]?.endsWith('schemas.js') && process.argv.includes('--write')) {
  for (const path of writePolicySchemas()) process.stdout.write(`wrote ${path}\n`);
}
