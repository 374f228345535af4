// Covers the RPC error catalogue (client/protocol.ts ErrorCode, daemon/errors.ts, docs/errors.md) and buildMethodTable's consistency checks.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode, methodNames, methods } from '../../client/protocol.js';
import { errorCatalogue, isRpcError, RpcError, toRpcError } from '../../daemon/errors.js';
import { buildMethodTable, methodTable } from '../../daemon/rpc/table.js';

/** The pinned catalogue. Adding, removing or renumbering a code means updating this table and docs/errors.md. */
const PINNED = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  PeerRefused: -32001,
  PayloadTooLarge: -32002,
  AuditWriteFailed: -32003,
  StoreUnavailable: -32004,
  ShuttingDown: -32005,
  RequestNotFound: -32010,
  RequestNotPending: -32011,
  SelfApprovalRefused: -32012,
  FactorInvalid: -32013,
  FactorLocked: -32014,
  UntrustedNotConfirmed: -32015,
  GrantInvalid: -32016,
  SessionNotFound: -32017,
  PolicyInvalid: -32018,
  SamplerUnavailable: -32030,
} as const;

const DOC_PATH = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));

describe('error codes', () => {
  it('ErrorCode is exactly the pinned table', () => {
    expect({ ...ErrorCode }).toStrictEqual({ ...PINNED });
  });

  it('codes are unique', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it.each(Object.entries(PINNED))('%s (%d) is a JSON-RPC standard code or in the -32000..-32099 server range', (_name, code) => {
    const standard = [-32700, -32600, -32601, -32602, -32603];
    expect(standard.includes(code) || (code <= -32000 && code >= -32099)).toBe(true);
  });

  it('errorCatalogue has one entry per code with the same number and a message', () => {
    expect(Object.keys(errorCatalogue).sort()).toEqual(Object.keys(PINNED).sort());
    for (const [name, entry] of Object.entries(errorCatalogue)) {
      expect(entry.code).toBe(PINNED[name as keyof typeof PINNED]);
      expect(entry.message.length).toBeGreaterThan(0);
    }
  });

  it('docs/errors.md exists', () => {
    expect(fs.existsSync(DOC_PATH), `${DOC_PATH} is missing`).toBe(true);
  });

  it.each(Object.entries(PINNED))('docs/errors.md lists %s with code %d on the same line', (name, code) => {
    const doc = fs.existsSync(DOC_PATH) ? fs.readFileSync(DOC_PATH, 'utf8') : '';
    const lines = doc.split('\n').filter((l) => new RegExp(`(^|[^0-9])${code}([^0-9]|$)`).test(l));
    expect(lines.length, `code ${code} not found in docs/errors.md`).toBeGreaterThan(0);
    expect(lines.some((l) => new RegExp(`\\b${name}\\b`).test(l)), `no line in docs/errors.md pairs ${code} with ${name}`).toBe(true);
  });
});

describe('RpcError', () => {
  it('carries code, message and data, and serialises them', () => {
    const err = new RpcError('InvalidParams', 'Invalid params: params.limit: too big', { field: 'params.limit' });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('RpcError');
    expect(err.codeName).toBe('InvalidParams');
    expect(err.code).toBe(-32602);
    expect(err.message).toBe('Invalid params: params.limit: too big');
    expect(err.data).toEqual({ field: 'params.limit' });
    expect(err.toJSON()).toStrictEqual({ code: -32602, message: 'Invalid params: params.limit: too big', data: { field: 'params.limit' } });
    expect(JSON.parse(JSON.stringify(err))).toStrictEqual({ code: -32602, message: 'Invalid params: params.limit: too big', data: { field: 'params.limit' } });
  });

  it.each(Object.keys(PINNED) as Array<keyof typeof PINNED>)('%s without a message uses the catalogue message and has no data key', (name) => {
    const err = new RpcError(name);
    expect(err.message).toBe(errorCatalogue[name].message);
    expect(err.toJSON()).toStrictEqual({ code: PINNED[name], message: errorCatalogue[name].message });
    expect('data' in err.toJSON()).toBe(false);
  });

  it('toRpcError maps a plain Error to InternalError without leaking its message', () => {
    const err = toRpcError(new Error('SQLITE_IOERR at /home/alice/.openclaw/security/ocsec.db'));
    expect(err.code).toBe(-32603);
    expect(err.codeName).toBe('InternalError');
    expect(err.message).toBe(errorCatalogue.InternalError.message);
    expect(JSON.stringify(err.toJSON())).not.toMatch(/SQLITE_IOERR|alice|ocsec\.db/);
    expect(err.data).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['a string', 'boom /etc/shadow'],
    ['null', null],
    ['an object', { message: 'boom', code: -32001 }],
  ])('toRpcError maps %s to a bare InternalError', (_name, thrown) => {
    const err = toRpcError(thrown);
    expect(err.toJSON()).toStrictEqual({ code: -32603, message: errorCatalogue.InternalError.message });
  });

  it('toRpcError passes an RpcError through unchanged', () => {
    const original = new RpcError('StoreUnavailable', 'audit query failed: disk I/O error');
    expect(toRpcError(original)).toBe(original);
    expect(isRpcError(original)).toBe(true);
    expect(isRpcError(new Error('x'))).toBe(false);
  });
});

describe('protocol methods and the handler table', () => {
  it.each(Object.values(methods).map((m) => [m.method, m.errors] as const))('%s lists only catalogued error names', (_method, errors) => {
    for (const name of errors) expect(Object.keys(PINNED)).toContain(name);
    expect(new Set(errors).size).toBe(errors.length);
  });

  it('each descriptor key matches its method field', () => {
    for (const [key, d] of Object.entries(methods)) expect(d.method).toBe(key);
  });

  it('the built table has exactly the protocol methods, sorted', () => {
    expect([...methodTable.keys()]).toEqual([...methodNames].sort((a, b) => a.localeCompare(b)));
    expect([...methodTable.keys()]).toEqual([
      'audit.query', 'audit.tail', 'audit.verify',
      'compliance.dashboard', 'compliance.history', 'compliance.latest', 'compliance.notify.test', 'compliance.run', 'compliance.unwaive', 'compliance.waive', 'compliance.waivers',
      'daemon.status',
      'egress.allow', 'egress.latest', 'egress.sample', 'exports.status',
      'factors.status', 'factors.token.clear', 'factors.token.set', 'factors.totp.clear', 'factors.totp.confirm', 'factors.totp.enroll',
      'findings.list', 'host.posture',
      'policy.check', 'policy.reload', 'ports.approve', 'ports.baseline', 'ports.latest', 'ports.sample',
      'privilege.approve', 'privilege.begin', 'privilege.deny', 'privilege.finish', 'privilege.passthrough', 'privilege.pending', 'privilege.refuse', 'privilege.request', 'privilege.wait',
      'security.audit', 'security.baseline', 'security.latest',
      'session.drop', 'session.list', 'store.integrity',
    ]);
  });

  const handler = () => undefined;
  const complete = () => Object.fromEntries(methodNames.map((m) => [m, handler]));

  it('buildMethodTable accepts one handler per method split across namespaces, in any order', () => {
    const [first, ...rest] = [...methodNames].reverse();
    const table = buildMethodTable([Object.fromEntries(rest.map((m) => [m, handler])), { [first!]: handler }]);
    expect([...table.keys()]).toEqual([...methodNames].sort((a, b) => a.localeCompare(b)));
  });

  it.each<[string, () => Array<Record<string, unknown>>, string]>([
    ['a method registered twice', () => [complete(), { 'audit.query': handler }], 'RPC method "audit.query" is registered twice'],
    ['a handler without a descriptor', () => [{ ...complete(), 'audit.purge': handler }], 'RPC handler "audit.purge" has no descriptor in client/protocol.ts'],
    ['missing handlers', () => [Object.fromEntries(methodNames.filter((m) => m !== 'audit.tail' && m !== 'session.drop').map((m) => [m, handler]))], 'protocol methods without a handler: audit.tail, session.drop'],
    ['no namespaces at all', () => [], `protocol methods without a handler: ${methodNames.join(', ')}`],
  ])('buildMethodTable throws on %s', (_name, namespaces, message) => {
    expect(() => buildMethodTable(namespaces())).toThrow(message);
  });
});
