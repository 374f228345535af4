// Covers daemon/audit/canonical-json.ts: the exact bytes the audit hash covers (ordering, whitespace, strings, numbers, rejections).
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../daemon/audit/canonical-json.js';

describe('canonicalJson: objects', () => {
  it.each([
    ['flat keys sorted', { b: 1, a: 2, c: 3 }, '{"a":2,"b":1,"c":3}'],
    ['nested keys sorted at every level', { z: { y: 1, x: { b: 2, a: 1 } }, a: [] }, '{"a":[],"z":{"x":{"a":1,"b":2},"y":1}}'],
    ['upper case sorts before lower case (code units, not locale)', { b: 1, B: 2, a: 3, A: 4 }, '{"A":4,"B":2,"a":3,"b":1}'],
    ['digits sort as strings, not numbers', { '10': 'x', '9': 'y', '1': 'z' }, '{"1":"z","10":"x","9":"y"}'],
    ['empty object', {}, '{}'],
    ['undefined members dropped', { a: 1, b: undefined, c: null }, '{"a":1,"c":null}'],
    ['nested undefined dropped', { o: { gone: undefined, kept: false } }, '{"o":{"kept":false}}'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });

  it('sorts unicode keys by UTF-16 code units (a surrogate pair sorts below U+FFFF)', () => {
    // By code point U+1F600 > U+FFFF; by UTF-16 code unit its lead surrogate 0xD83D < 0xFFFF.
    const input = { '\uFFFF': 1, '\u{1F600}': 2, é: 3, z: 4 };
    expect(canonicalJson(input)).toBe('{"z":4,"é":3,"\u{1F600}":2,"\uFFFF":1}');
  });

  it('gives identical output for the same object built in different key orders', () => {
    const a: Record<string, unknown> = {};
    a.seq = 1;
    a.action = 'exec.run';
    a.data = { argv: ['ls', '-l'], env: { B: '2', A: '1' } };
    const b: Record<string, unknown> = {};
    b.data = { env: { A: '1', B: '2' }, argv: ['ls', '-l'] };
    b.action = 'exec.run';
    b.seq = 1;
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b)); // the inputs really differ in insertion order
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"action":"exec.run","data":{"argv":["ls","-l"],"env":{"A":"1","B":"2"}},"seq":1}');
  });

  it('emits no whitespace anywhere', () => {
    const out = canonicalJson({ a: [1, { b: 'c d' }], e: { f: null } });
    expect(out).toBe('{"a":[1,{"b":"c d"}],"e":{"f":null}}');
    expect(out.replace(/"[^"]*"/g, '')).not.toMatch(/\s/);
  });
});

describe('canonicalJson: arrays', () => {
  it.each([
    ['keeps element order', [3, 1, 2], '[3,1,2]'],
    ['undefined element becomes null', [1, undefined, 2], '[1,null,2]'],
    ['objects inside arrays are sorted', [{ b: 1, a: 2 }], '[{"a":2,"b":1}]'],
    ['nested arrays', [[], [[]]], '[[],[[]]]'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });

  it('encodes an array hole as null, like an undefined element (output must stay valid JSON)', () => {
    const sparse: unknown[] = [];
    sparse[1] = 1; // index 0 is a hole, not undefined
    const out = canonicalJson(sparse);
    expect(out).toBe('[null,1]');
    expect(JSON.parse(out)).toEqual([null, 1]);
  });
});

describe('canonicalJson: strings', () => {
  it.each([
    ['plain', 'abc', '"abc"'],
    ['quote and backslash escaped', 'a"b\\c', '"a\\"b\\\\c"'],
    ['control characters use short escapes', '\n\r\t\b\f', '"\\n\\r\\t\\b\\f"'],
    ['NUL as \\u0000', 'a\u0000b', '"a\\u0000b"'],
    ['other C0 controls as lower-case \\u00xx', '\u001f', '"\\u001f"'],
    ['non-ASCII kept literally', 'héllo wörld ✓', '"héllo wörld ✓"'],
    ['astral characters kept literally', '\u{1F600}', '"\u{1F600}"'],
    ['lone surrogate escaped', '\uD800', '"\\ud800"'],
    ['slash not escaped', 'a/b', '"a/b"'],
    ['DEL not escaped', '\u007f', '"\u007f"'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });
});

describe('canonicalJson: numbers and literals', () => {
  it.each([
    ['integer', 42, '42'],
    ['negative integer', -7, '-7'],
    ['zero', 0, '0'],
    ['negative zero is 0', -0, '0'],
    ['float', 1.5, '1.5'],
    ['shortest round-trip float', 0.1 + 0.2, '0.30000000000000004'],
    ['1e21 in exponent form', 1e21, '1e+21'],
    ['1e20 in plain form', 1e20, '100000000000000000000'],
    ['small exponent', 1e-7, '1e-7'],
    ['max safe integer', Number.MAX_SAFE_INTEGER, '9007199254740991'],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['null', null, 'null'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });
});

describe('canonicalJson: rejects what JSON cannot carry exactly', () => {
  it.each([
    ['NaN', NaN, /number NaN/],
    ['Infinity', Infinity, /number Infinity/],
    ['-Infinity', -Infinity, /number -Infinity/],
    ['bigint', 10n, /bigint/],
    ['function', () => 1, /function/],
    ['symbol', Symbol('s'), /symbol/],
    ['top-level undefined', undefined, /undefined/],
    ['NaN nested in an object', { a: { b: NaN } }, /NaN/],
    ['bigint nested in an array', [1, 2n], /bigint/],
    ['function as an object member', { f: () => 1 }, /function/],
  ])('%s throws a TypeError', (_name, input, message) => {
    expect(() => canonicalJson(input)).toThrow(TypeError);
    expect(() => canonicalJson(input)).toThrow(message);
  });
});
