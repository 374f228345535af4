// Covers daemon/audit/redact.ts: redactArgv, redactString and redact() remove secrets and leave ordinary data alone.
import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactArgv, redactString } from '../../daemon/audit/redact.js';

const R = REDACTED;
const GHP = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'; // 36 characters after the prefix
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const PEM = ['-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ', 'AAAAAAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAI', '-----END OPENSSH PRIVATE KEY-----'].join('\n');

describe('redactArgv', () => {
  it.each<[string, string[], string[]]>([
    ['--password=value', ['deploy', '--password=hunter2'], ['deploy', `--password=${R}`]],
    ['--db-password next word', ['deploy', '--db-password', 'hunter2', '--verbose'], ['deploy', '--db-password', R, '--verbose']],
    ['--token=value', ['openclaw', '--token=abc'], ['openclaw', `--token=${R}`]],
    ['--api-key next word', ['openclaw', '--api-key', 'x', 'run'], ['openclaw', '--api-key', R, 'run']],
    ['--client-secret=value', ['oauth', '--client-secret=s3cr3t'], ['oauth', `--client-secret=${R}`]],
    ['mysql -pSECRET', ['mysql', '-uroot', '-phunter2', 'appdb'], ['mysql', '-uroot', `-p${R}`, 'appdb']],
    ['/usr/bin/mysql -pSECRET', ['/usr/bin/mysql', '-phunter2'], ['/usr/bin/mysql', `-p${R}`]],
    ['mysqldump -pSECRET', ['mysqldump', '-phunter2', '--all-databases'], ['mysqldump', `-p${R}`, '--all-databases']],
    ['sudo mysql -pSECRET', ['sudo', 'mysql', '-phunter2'], ['sudo', 'mysql', `-p${R}`]],
    ['env X=1 mysql -psecret', ['env', 'X=1', 'mysql', '-psecret', 'appdb'], ['env', 'X=1', 'mysql', `-p${R}`, 'appdb']],
    ['mysql -p with a password containing "Password"', ['mysql', '-pMyPassword1', 'appdb'], ['mysql', `-p${R}`, 'appdb']],
    ['mysql -p alone (prompts) is kept', ['mysql', '-p', 'appdb'], ['mysql', '-p', 'appdb']],
    ['sshpass -p SECRET', ['sshpass', '-p', 'secret', 'ssh', 'host'], ['sshpass', '-p', R, 'ssh', 'host']],
    ['curl -u user:pass', ['curl', '-u', 'user:pass', 'https://example.com/'], ['curl', '-u', R, 'https://example.com/']],
    ['curl --user user:pass', ['/usr/bin/curl', '--user', 'user:pass', 'https://example.com/'], ['/usr/bin/curl', '--user', R, 'https://example.com/']],
    [
      'secret env assignment redacted, PATH kept',
      ['env', 'OPENCLAW_APPROVAL_TOKEN=abc', 'PATH=/usr/bin', 'openclaw'],
      ['env', `OPENCLAW_APPROVAL_TOKEN=${R}`, 'PATH=/usr/bin', 'openclaw'],
    ],
    [
      'sudo AWS_SECRET_ACCESS_KEY=...',
      ['sudo', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws', 's3', 'ls'],
      ['sudo', `AWS_SECRET_ACCESS_KEY=${R}`, 'aws', 's3', 'ls'],
    ],
    [
      'bearer header value',
      ['curl', '-H', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc', 'https://api.example.com'],
      ['curl', '-H', `Authorization: Bearer ${R}`, 'https://api.example.com'],
    ],
    ['URL userinfo password', ['git', 'clone', 'https://user:pass@host/path'], ['git', 'clone', `https://user:${R}@host/path`]],
    ['vendor key in a plain argument', ['openclaw', '--key', 'sk-abcdefghijklmnop1234'], ['openclaw', '--key', R]],
  ])('%s', (_name, input, expected) => {
    expect(redactArgv(input)).toEqual(expected);
  });

  it.each<[string, string[]]>([
    ['apt update', ['/usr/bin/apt', 'update']],
    ['systemctl restart nginx', ['/usr/bin/systemctl', 'restart', 'nginx']],
    ['mkdir -p (not a mysql client)', ['mkdir', '-p', '/tmp/x']],
    ['ssh -p 2222 (not sshpass)', ['ssh', '-p', '2222', 'host']],
    ['tar -pxf (attached -p on a non-mysql program)', ['tar', '-pxf', 'backup.tar']],
    ['sha256sum with a hex digest', ['sha256sum', '-c', SHA256]],
    ['plain URL without userinfo', ['curl', '-fsSL', 'https://example.com/install.sh']],
    ['env assignment with a non-secret name', ['env', 'LANG=C.UTF-8', 'HOME=/root', 'ls']],
    ['mysql options that are not -p', ['mysql', '-h', 'db.local', '-P', '3306', '-uroot', 'appdb']],
  ])('does not over-redact: %s', (_name, input) => {
    expect(redactArgv(input)).toEqual(input);
  });

  it('does not modify its input', () => {
    const argv = ['mysql', '-phunter2'];
    redactArgv(argv);
    expect(argv).toEqual(['mysql', '-phunter2']);
  });
});

describe('redactString', () => {
  it.each<[string, string, string]>([
    ['OpenAI sk-', 'key=sk-abcdefghijklmnop1234 end', `key=${R} end`],
    ['OpenAI sk-proj-', 'sk-proj-abcDEF123456789_-xyzXYZ', R],
    ['Anthropic sk-ant-', 'export K=sk-ant-api03-abcdefgh_IJKL-mnop', `export K=${R}`],
    ['GitHub ghp_', `token ${GHP}`, `token ${R}`],
    ['GitHub github_pat_', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop', R],
    ['Slack xoxb-', 'xoxb-1234567890-0987654321-abcdefghij', R],
    ['AWS AKIA (20 chars)', 'id AKIAIOSFODNN7EXAMPLE here', `id ${R} here`],
    ['Bearer header', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig', `Authorization: Bearer ${R}`],
    ['lower-case bearer keeps its case', 'authorization: bearer abcdefgh12345678', `authorization: bearer ${R}`],
    ['Basic header', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', `Authorization: Basic ${R}`],
    ['URL userinfo', 'https://user:pass@host/path', `https://user:${R}@host/path`],
    ['URL userinfo inside prose', 'pushed to https://bot:t0ps3cret@git.example.com/repo.git ok', `pushed to https://bot:${R}@git.example.com/repo.git ok`],
    ['PEM private key block', PEM, R],
    ['PEM block between other text', `before\n${PEM}\nafter`, `before\n${R}\nafter`],
    ['RSA PEM block', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', R],
    ['unterminated PEM block to the end', 'x -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg', `x ${R}`],
  ])('%s', (_name, input, expected) => {
    expect(redactString(input)).toBe(expected);
  });

  it.each<[string, string]>([
    ['the word token in prose', 'the token was rotated by the operator'],
    ['the word password in prose', 'password change requested'],
    ['a sha256 hex digest', SHA256],
    ['a URL without userinfo', 'https://example.com:8443/path?q=1'],
    ['a short sk- word', 'sk-short'],
    ['AKIA with 19 chars', 'AKIAIOSFODNN7EXAMPL'],
    ['AKIA with 21 chars', 'AKIAIOSFODNN7EXAMPLEX'],
    ['Bearer with no credential', 'Bearer'],
    ['a public key block', '-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----'],
    ['empty string', ''],
  ])('leaves alone: %s', (_name, input) => {
    expect(redactString(input)).toBe(input);
  });
});

describe('redact (event payloads)', () => {
  it.each<[string, unknown, unknown]>([
    [
      'secret-named keys replaced, others kept',
      { token: 'abc', password: 'hunter2', apiKey: 'k-123', client_secret: 's', user: 'alice', host: 'db.local' },
      { token: R, password: R, apiKey: R, client_secret: R, user: 'alice', host: 'db.local' },
    ],
    [
      'non-string values under secret names kept',
      { password_set: true, token_ttl: 3600, secret: null },
      { password_set: true, token_ttl: 3600, secret: null },
    ],
    ['empty secret string kept empty', { password: '' }, { password: '' }],
    [
      'nested objects',
      { config: { db: { password: 'x', host: 'h' }, cookie: 'sid=1' } },
      { config: { db: { password: R, host: 'h' }, cookie: R } },
    ],
    [
      'env map: secret names redacted, PATH kept',
      { env: { OPENCLAW_APPROVAL_TOKEN: 'abc', PATH: '/usr/bin' } },
      { env: { OPENCLAW_APPROVAL_TOKEN: R, PATH: '/usr/bin' } },
    ],
    ['argv array goes through redactArgv', { argv: ['mysql', '-phunter2', 'appdb'] }, { argv: ['mysql', `-p${R}`, 'appdb'] }],
    ['command array goes through redactArgv', { command: ['deploy', '--token', 'abc'] }, { command: ['deploy', '--token', R] }],
    ['args array goes through redactArgv', { args: ['--password=x'] }, { args: [`--password=${R}`] }],
    [
      'env array of assignments goes through redactArgv',
      { env: ['AWS_SECRET_ACCESS_KEY=abc', 'PATH=/usr/bin'] },
      { env: [`AWS_SECRET_ACCESS_KEY=${R}`, 'PATH=/usr/bin'] },
    ],
    ['-p under a non-argv key is not treated as argv', { flags: ['mysql', '-pfoo'] }, { flags: ['mysql', '-pfoo'] }],
    ['secret-shaped strings anywhere', { note: 'used sk-abcdefghijklmnop1234 today' }, { note: `used ${R} today` }],
    ['arrays of objects', { items: [{ token: 'a', id: 1 }, { name: 'b' }] }, { items: [{ token: R, id: 1 }, { name: 'b' }] }],
    ['strings in plain arrays', { tags: ['sk-abcdefghijklmnop1234', 'prod'] }, { tags: [R, 'prod'] }],
    [
      'ordinary exec payload untouched',
      { argv: ['/usr/bin/systemctl', 'restart', 'nginx'], sha256: SHA256, note: 'token rotated', exitCode: 0 },
      { argv: ['/usr/bin/systemctl', 'restart', 'nginx'], sha256: SHA256, note: 'token rotated', exitCode: 0 },
    ],
    ['top-level string', 'Bearer abcdefgh12345678', `Bearer ${R}`],
    ['number passes through', 5, 5],
    ['null passes through', null, null],
  ])('%s', (_name, input, expected) => {
    expect(redact(input)).toEqual(expected);
  });

  it('does not modify its input', () => {
    const input = { password: 'hunter2', argv: ['mysql', '-phunter2'] };
    redact(input);
    expect(input).toEqual({ password: 'hunter2', argv: ['mysql', '-phunter2'] });
  });
});

describe('forms found missing in review', () => {
  const R = '[REDACTED]';
  it.each<[string, string[], string[]]>([
    ['sshpass -pSECRET (attached)', ['sshpass', '-phunter2', 'ssh', 'host'], ['sshpass', `-p${R}`, 'ssh', 'host']],
    ['curl -uuser:pass (attached)', ['curl', '-ualice:hunter2', 'https://example.test'], ['curl', `-u${R}`, 'https://example.test']],
    ['curl --user=user:pass', ['curl', '--user=alice:hunter2', 'https://example.test'], ['curl', `--user=${R}`, 'https://example.test']],
    ['mysql -p whose password contains "token"', ['/usr/bin/mysql', '-pmytoken99', 'db'], ['/usr/bin/mysql', `-p${R}`, 'db']],
  ])('%s', (_name, input, expected) => {
    expect(redactArgv(input)).toEqual(expected);
  });

  it('redacts every string of an array under a secret-named key, and a bare "pass" key', () => {
    expect(redact({ tokens: ['abc', 'def'], db_pass: 'x', passes: 3, compass: 'north' })).toEqual({ tokens: [R, R], db_pass: R, passes: 3, compass: 'north' });
  });
});
