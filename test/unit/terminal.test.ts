// Covers client/terminal.ts: untrusted text is shown, never obeyed — controls, bidi overrides and invisible characters.
import { describe, expect, it } from 'vitest';
import { inert, inertLine } from '../../client/terminal.js';

describe('inert', () => {
  it.each([
    ['plain text is unchanged', 'apt-get install -y nginx', 'apt-get install -y nginx'],
    ['non-ASCII letters are unchanged', 'café Δ 日本', 'café Δ 日本'],
    ['an ANSI escape is shown', '\u001b[2Jclear', '\\x1b[2Jclear'],
    ['CR cannot overwrite the line', 'rm -rf /\rls', 'rm -rf /\\x0dls'],
    ['NUL and DEL', 'a\u0000b\u007f', 'a\\x00b\\x7f'],
    ['a C1 CSI', 'x\u009b31m', 'x\\x9b31m'],
    ['newline and tab are kept by inert', 'a\n\tb', 'a\n\tb'],
    ['right-to-left override (reorders the prompt)', 'ls \u202Efdp.exe', 'ls \\u{202E}fdp.exe'],
    ['left-to-right override and pop', '\u202Dx\u202C', '\\u{202D}x\\u{202C}'],
    ['bidi embeddings', '\u202Aa\u202Bb', '\\u{202A}a\\u{202B}b'],
    ['bidi isolates', '\u2066a\u2067b\u2068c\u2069', '\\u{2066}a\\u{2067}b\\u{2068}c\\u{2069}'],
    ['zero-width space, non-joiner and joiner', 'r\u200Bm\u200C-\u200Drf', 'r\\u{200B}m\\u{200C}-\\u{200D}rf'],
    ['LRM and RLM marks', 'a\u200Eb\u200F', 'a\\u{200E}b\\u{200F}'],
    ['byte order mark', '\uFEFFsudo', '\\u{FEFF}sudo'],
    ['line and paragraph separators', 'ok\u2028fake line\u2029', 'ok\\u{2028}fake line\\u{2029}'],
    ['neighbours of the ranges are left alone', '\u200A\u2027\u202F\u2065\u206A', '\u200A\u2027\u202F\u2065\u206A'],
  ])('%s', (_label, input, expected) => {
    expect(inert(input)).toBe(expected);
  });
});

describe('inertLine', () => {
  it.each([
    ['newline cannot fake a second line', 'ok\nAPPROVED', 'ok\\nAPPROVED'],
    ['tab is shown', 'a\tb', 'a\\tb'],
    ['CR and newline together', 'a\r\nb', 'a\\x0d\\nb'],
    ['a reason with an RLO override', 'update \u202Etoor\u202C', 'update \\u{202E}toor\\u{202C}'],
    ['a paragraph separator cannot start a line either', 'reason\u2029Approve? [y/N]', 'reason\\u{2029}Approve? [y/N]'],
  ])('%s', (_label, input, expected) => {
    expect(inertLine(input)).toBe(expected);
  });

  it('leaves no bidi, invisible or control character in the result', () => {
    const all = Array.from({ length: 0x2070 }, (_, i) => String.fromCharCode(i)).join('') + '\uFEFF';
    expect(inertLine(all)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/);
  });
});
