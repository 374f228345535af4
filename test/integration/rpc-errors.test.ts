// Every JSON-RPC error path against an in-process daemon on a temp socket; the daemon keeps answering after each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, MAX_BODY_BYTES } from '../../client/protocol.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
});
afterAll(async () => {
  await t.stop();
});

type Reply = { jsonrpc: string; id: unknown; result?: unknown; error?: { code: number; message: string; data?: { field?: string } } };

async function stillServes(): Promise<void> {
  const status = await t.client.call('daemon.status');
  expect(status.pid).toBe(process.pid);
}

describe('single requests', () => {
  const cases: Array<{ name: string; body: string; code: number; id: unknown; message?: RegExp }> = [
    { name: 'truncated JSON', body: '{"jsonrpc":"2.0","id":1,"method":', code: ErrorCode.ParseError, id: null },
    { name: 'not JSON at all', body: 'hello', code: ErrorCode.ParseError, id: null },
    { name: 'empty body', body: '', code: ErrorCode.ParseError, id: null },
    { name: 'a bare number', body: '42', code: ErrorCode.InvalidRequest, id: null, message: /JSON object/ },
    { name: 'null', body: 'null', code: ErrorCode.InvalidRequest, id: null },
    { name: 'wrong jsonrpc version', body: '{"jsonrpc":"1.0","id":7,"method":"daemon.status"}', code: ErrorCode.InvalidRequest, id: 7, message: /jsonrpc/ },
    { name: 'numeric method', body: '{"jsonrpc":"2.0","id":8,"method":5}', code: ErrorCode.InvalidRequest, id: 8, message: /method/ },
    { name: 'object id', body: '{"jsonrpc":"2.0","id":{"a":1},"method":"daemon.status"}', code: ErrorCode.InvalidRequest, id: null, message: /id/ },
    { name: 'string params', body: '{"jsonrpc":"2.0","id":9,"method":"daemon.status","params":"x"}', code: ErrorCode.InvalidRequest, id: 9, message: /params/ },
    { name: 'unknown method', body: '{"jsonrpc":"2.0","id":10,"method":"privilege.escalate"}', code: ErrorCode.MethodNotFound, id: 10 },
    { name: 'prototype-named method', body: '{"jsonrpc":"2.0","id":11,"method":"__proto__"}', code: ErrorCode.MethodNotFound, id: 11 },
    {
      name: 'wrong param type',
      body: '{"jsonrpc":"2.0","id":12,"method":"audit.query","params":{"limit":"ten"}}',
      code: ErrorCode.InvalidParams,
      id: 12,
      message: /params\.limit/,
    },
    {
      name: 'param out of range',
      body: '{"jsonrpc":"2.0","id":13,"method":"audit.query","params":{"limit":100000}}',
      code: ErrorCode.InvalidParams,
      id: 13,
      message: /params\.limit/,
    },
    {
      name: 'unknown param',
      body: '{"jsonrpc":"2.0","id":14,"method":"audit.query","params":{"limt":5}}',
      code: ErrorCode.InvalidParams,
      id: 14,
      message: /limt/,
    },
    {
      name: 'bad timestamp',
      body: '{"jsonrpc":"2.0","id":15,"method":"audit.query","params":{"since":"yesterday"}}',
      code: ErrorCode.InvalidParams,
      id: 15,
      message: /params\.since/,
    },
    {
      name: 'positional params where named are expected',
      body: '{"jsonrpc":"2.0","id":16,"method":"audit.tail","params":[1,2]}',
      code: ErrorCode.InvalidParams,
      id: 16,
    },
    { name: 'huge number', body: '{"jsonrpc":"2.0","id":17,"method":"audit.query","params":{"afterSeq":1e308}}', code: ErrorCode.InvalidParams, id: 17 },
  ];

  it.each(cases)('$name → $code', async ({ body, code, id, message }) => {
    const res = await t.post(body);
    expect(res.status).toBe(200);
    const reply = res.json as Reply;
    expect(reply.jsonrpc).toBe('2.0');
    expect(reply.id).toEqual(id);
    expect(reply.error?.code).toBe(code);
    if (message) expect(reply.error?.message).toMatch(message);
    await stillServes();
  });

  it('names the offending field in error data', async () => {
    const reply = (await t.post('{"jsonrpc":"2.0","id":1,"method":"audit.tail","params":{"waitMs":-5}}')).json as Reply;
    expect(reply.error?.data?.field).toBe('params.waitMs');
  });

  it('accepts curl-style form content types (the body is still JSON-RPC)', async () => {
    const res = await t.post('{"jsonrpc":"2.0","id":1,"method":"daemon.status"}', { 'content-type': 'application/x-www-form-urlencoded' });
    expect((res.json as Reply).result).toMatchObject({ pid: process.pid });
  });

  it('answers a notification with 204 and no body', async () => {
    const res = await t.post('{"jsonrpc":"2.0","method":"daemon.status"}');
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
  });
});

describe('batches', () => {
  it('answers each member in place, good and bad mixed, notifications omitted', async () => {
    const batch = [
      { jsonrpc: '2.0', id: 'a', method: 'daemon.status' },
      { jsonrpc: '2.0', id: 'b', method: 'nope' },
      { jsonrpc: '2.0', method: 'daemon.status' },
      7,
      { jsonrpc: '2.0', id: 'c', method: 'audit.query', params: { limit: 0 } },
      { jsonrpc: '2.0', id: 'd', method: 'audit.query', params: { limit: 1 } },
    ];
    const replies = (await t.post(JSON.stringify(batch))).json as Reply[];
    expect(Array.isArray(replies)).toBe(true);
    expect(replies.map((r) => [r.id, r.error?.code ?? 'ok'])).toEqual([
      ['a', 'ok'],
      ['b', ErrorCode.MethodNotFound],
      [null, ErrorCode.InvalidRequest],
      ['c', ErrorCode.InvalidParams],
      ['d', 'ok'],
    ]);
    await stillServes();
  });

  it('a batch of one is still answered with an array', async () => {
    const replies = (await t.post('[{"jsonrpc":"2.0","id":1,"method":"daemon.status"}]')).json;
    expect(Array.isArray(replies)).toBe(true);
    expect((replies as Reply[]).length).toBe(1);
  });

  it('an empty batch is one Invalid Request', async () => {
    const reply = (await t.post('[]')).json as Reply;
    expect(reply.error?.code).toBe(ErrorCode.InvalidRequest);
  });

  it('a batch of notifications gets 204', async () => {
    const res = await t.post('[{"jsonrpc":"2.0","method":"daemon.status"},{"jsonrpc":"2.0","method":"audit.verify"}]');
    expect(res.status).toBe(204);
  });
});

describe('transport limits', () => {
  it('refuses a body over 1 MiB with PayloadTooLarge and keeps serving', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'daemon.status', params: { pad: 'x'.repeat(MAX_BODY_BYTES) } });
    const res = await t.post(big);
    expect(res.status).toBe(413);
    expect((res.json as Reply).error?.code).toBe(ErrorCode.PayloadTooLarge);
    await stillServes();
  });

  it('accepts a body just under the limit (and rejects its params precisely)', async () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES - 200);
    const res = await t.post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'audit.query', params: { action: padding } }));
    expect(res.status).toBe(200);
    expect((res.json as Reply).error?.code).toBe(ErrorCode.InvalidParams);
  });

  it('deeply nested JSON is an ordinary error, not a crash', async () => {
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    const res = await t.post(deep);
    expect([200, 204]).toContain(res.status);
    await stillServes();
  });
});
