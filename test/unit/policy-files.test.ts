// The shipped policy templates load with the daemon's own loaders, and the JSON Schemas in policies/schemas/ match the code.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateCommandPolicy, parseCommandPolicy, parsePromptPolicy } from '../../daemon/policy/command-policy.js';
import { policyJsonSchemas, renderSchema } from '../../daemon/policy/schemas.js';

const policies = resolve(import.meta.dirname, '../../policies');

describe('policy templates', () => {
  it('command-policy.template.json is valid and means what its comment says', () => {
    const file = join(policies, 'command-policy.template.json');
    const loaded = parseCommandPolicy(file, readFileSync(file, 'utf8'));
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(evaluateCommandPolicy(loaded.value, ['/usr/bin/apt', 'update'])).toMatchObject({ allowed: true });
    expect(evaluateCommandPolicy(loaded.value, ['/usr/bin/rm', '-rf', '/srv/data'])).toMatchObject({ allowed: false, rule: 'deny[0]' });
    expect(evaluateCommandPolicy(loaded.value, ['/usr/bin/systemctl', 'restart', 'nginx'])).toMatchObject({ allowed: true });
    expect(evaluateCommandPolicy(loaded.value, ['/usr/bin/curl', 'https://example.test'])).toMatchObject({ allowed: false });
  });

  it('prompt-policy.template.json is valid', () => {
    const file = join(policies, 'prompt-policy.template.json');
    const loaded = parsePromptPolicy(file, readFileSync(file, 'utf8'));
    expect(loaded).toMatchObject({ ok: true, value: { require_confirmation_for_untrusted: true } });
  });
});

describe('JSON Schemas', () => {
  it.each(Object.entries(policyJsonSchemas()))('policies/schemas/%s is up to date (npm run schemas)', (name, schema) => {
    expect(readFileSync(join(policies, 'schemas', name), 'utf8')).toBe(renderSchema(schema));
  });

  it('the command policy schema refuses unknown keys but allows notes', () => {
    const schema = policyJsonSchemas()['command-policy.schema.json']!;
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties as object)).toEqual(expect.arrayContaining(['allow', 'deny', 'allow_exact', 'deny_exact', 'deny_shells', 'keep_session', 'comment']));
  });
});
