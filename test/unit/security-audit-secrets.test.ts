// Credential detection for the installation audit: entropy estimates, masking, vendor shapes and the false-positive guards on config values.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { estimateEntropyBits, findConfigSecrets, fingerprintSecret, isSecretKeyName, isSecretReference, maskSecret, vendorSecretsIn } from '../../daemon/security-audit/secrets.js';

describe('estimateEntropyBits', () => {
  it.each<[string, string, number, number]>([
    ['64 random hex (openssl rand -hex 32)', randomBytes(32).toString('hex'), 256, 256],
    ['32 random hex', randomBytes(16).toString('hex'), 128, 128],
    ['43 random base64url', randomBytes(32).toString('base64url'), 200, 270],
    ['one letter repeated', 'a'.repeat(48), 0, 60],
    ['a repeated phrase', 'abc123'.repeat(8), 0, 100],
    ['the alphabet in order', 'abcdefghijklmnopqrstuvwxyz012345', 0, 60],
    ['a short word', 'changeme', 0, 40],
    ['empty', '', 0, 0],
  ])('%s', (_name, token, min, max) => {
    const bits = estimateEntropyBits(token);
    expect(bits).toBeGreaterThanOrEqual(min);
    expect(bits).toBeLessThanOrEqual(max);
  });

  it('never credits more than the charset allows', () => {
    expect(estimateEntropyBits('0123456789'.repeat(1))).toBeLessThanOrEqual(Math.ceil(10 * Math.log2(10)));
  });
});

describe('maskSecret', () => {
  it.each<[string, string]>([
    ['sk-ant-' + 'b'.repeat(40), 'sk-ant-…(47 chars)'],
    ['sk-' + 'a'.repeat(48), 'sk-…(51 chars)'],
    ['ghp_' + 'c'.repeat(36), 'ghp_…(40 chars)'],
    ['AKIA' + 'D'.repeat(16), 'AKIA…(20 chars)'],
    ['hunter2hunter2', '…(14 chars)'],
  ])('%s → %s', (secret, masked) => {
    expect(maskSecret(secret)).toBe(masked);
    expect(maskSecret(secret)).not.toContain(secret.slice(-6));
  });
});

describe('vendorSecretsIn', () => {
  it('finds each vendor shape once, the most specific kind first', () => {
    const text = `a=${'sk-ant-' + 'b'.repeat(40)} b=${'ghp_' + 'c'.repeat(36)} c=${'xoxb-' + '1'.repeat(12)} d=${'AKIA' + 'D'.repeat(16)}`;
    expect(vendorSecretsIn(text).map((s) => s.kind)).toEqual(['Anthropic API key', 'GitHub token', 'Slack token', 'AWS access key id']);
  });

  it('masks a bearer header by its token and a URL by its password only', () => {
    const token = randomBytes(24).toString('hex');
    const [bearer] = vendorSecretsIn(`Authorization: Bearer ${token}`);
    expect(bearer).toMatchObject({ kind: 'bearer token', value: token, masked: `Bearer …(${token.length} chars)` });
    const [url] = vendorSecretsIn('postgres://app:s3cretpassw0rd@db.internal/app');
    expect(url).toMatchObject({ kind: 'password in a URL', value: 's3cretpassw0rd', masked: 'postgres://app:…(14 chars)@' });
  });

  it('finds nothing in ordinary text', () => {
    expect(vendorSecretsIn('gateway listening on 127.0.0.1:18789 (skill: ask-me)')).toEqual([]);
  });
});

describe('config values', () => {
  it.each<[string, boolean]>([
    ['token', true],
    ['apiKey', true],
    ['botToken', true],
    ['password', true],
    ['clientSecret', true],
    ['maxTokens', false],
    ['tokenRotationDays', false],
    ['apiKeyEnvVar', false],
    ['secretKeySource', false],
    ['passwordFile', false],
    ['model', false],
  ])('isSecretKeyName(%s) = %s', (key, expected) => {
    expect(isSecretKeyName(key)).toBe(expected);
  });

  it.each(['${OPENAI_API_KEY}', 'env:OPENAI_API_KEY', 'keychain:openclaw', 'OPENAI_API_KEY', '<64-character token generated with openssl rand -hex 32>'])('%s is a reference, not a secret', (value) => {
    expect(isSecretReference(value)).toBe(true);
  });

  it('reports vendor keys anywhere and high-entropy values under secret-like keys, with the key path', () => {
    const strong = randomBytes(32).toString('hex');
    const config = {
      gateway: { auth: { token: strong, mode: 'token' } },
      models: { providers: { openai: { apiKey: 'sk-' + 'a'.repeat(48), baseUrl: 'https://api.openai.com/v1' } } },
      notes: ['see ' + 'ghp_' + 'c'.repeat(36)],
      integrations: { openai: { apiKeySource: 'env', apiKeyEnvVar: 'OPENAI_API_KEY' } },
      agents: { defaults: { maxTokens: 100000, sessionKey: 'agent:main:main' } },
      hooks: { token: '${HOOKS_TOKEN}' },
      tls: { keyPath: '/etc/openclaw/tls/server.key' },
    };
    const found = findConfigSecrets(config);
    expect(found.map((s) => [s.keyPath, s.kind])).toEqual([
      ['gateway.auth.token', 'secret'],
      ['models.providers.openai.apiKey', 'OpenAI API key'],
      ['notes[0]', 'GitHub token'],
    ]);
    expect(JSON.stringify(found.map(({ value: _v, ...rest }) => rest))).not.toContain(strong);
  });

  it('leaves low-entropy values under secret-like keys to the strength checks', () => {
    expect(findConfigSecrets({ gateway: { auth: { password: 'changeme' } } })).toEqual([]);
  });
});

describe('fingerprintSecret', () => {
  it('is keyed: the same secret under two keys gives unrelated fingerprints, and it never contains the secret', () => {
    const secret = 'sk-' + 'a'.repeat(48);
    const a = fingerprintSecret(secret, Buffer.alloc(32, 1));
    const b = fingerprintSecret(secret, Buffer.alloc(32, 2));
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(fingerprintSecret(secret, Buffer.alloc(32, 1))).toBe(a);
  });
});
