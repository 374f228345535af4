// Covers client/install/plist-xml.ts against the `plist` package: the LaunchAgent template, gateway plists, round trips and refusals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as plist from 'plist';
import { describe, expect, it } from 'vitest';
import { buildPlist, parsePlist, PlistError } from '../../client/install/plist-xml.js';

const root = join(import.meta.dirname, '../..');

/** The plist package returns <data> as a Uint8Array, ours as a Buffer (a Uint8Array too): compare the bytes. */
function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  return v;
}

const GATEWAY_PLIST = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>ai.openclaw.gateway</string>
  <key>ProgramArguments</key>
  <array><string>/opt/homebrew/bin/node</string><string>/opt/homebrew/lib/node_modules/openclaw/openclaw.mjs</string><string>gateway</string><string>--port</string><string>18789</string></array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>PATH</key><string>/opt/homebrew/bin:/usr/bin:/bin</string>
    <key>OPENCLAW_GATEWAY_TOKEN</key><string>a&amp;b&lt;c&gt;&quot;d&#39;e&#x263A;</string>
  </dict>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><false/>
  <key>ThrottleInterval</key><integer>-5</integer>
  <key>Nice</key><real>1.5</real>
  <key>Empty</key><string/>
  <key>Stamp</key><date>2026-01-02T03:04:05Z</date>
  <key>Blob</key><data>aGVsbG8=</data>
  <!-- a comment -- with dashes is not allowed, so this one has none -->
</dict>
</plist>
`.replace('-- with dashes is not allowed, so this one has none', 'without dashes');

describe('parsePlist', () => {
  it('reads a gateway LaunchAgent exactly as the plist package does', () => {
    expect(normalise(parsePlist(GATEWAY_PLIST))).toEqual(normalise(plist.parse(GATEWAY_PLIST)));
  });

  it('decodes entities and numeric references', () => {
    const env = (parsePlist(GATEWAY_PLIST) as Record<string, Record<string, string>>).EnvironmentVariables!;
    expect(env.OPENCLAW_GATEWAY_TOKEN).toBe(`a&b<c>"d'e\u263a`);
  });

  it('reads the LaunchAgent template like the plist package', () => {
    const text = readFileSync(join(root, 'launchd/ai.openclaw.ocsecd.plist'), 'utf8');
    expect(parsePlist(text)).toEqual(plist.parse(text));
  });

  it.each<[string, string, RegExp]>([
    ['a binary plist', 'bplist00\u0000\u0001', /binary property list.*plutil -convert xml1/],
    ['no plist element', '<dict></dict>', /no <plist> element/],
    ['an unclosed dict', '<plist><dict><key>a</key><string>b</string></plist>', /expected <key> in <dict>|not closed/],
    ['a value without its key', '<plist><dict><string>b</string></dict></plist>', /expected <key> in <dict>/],
    ['an unknown element', '<plist><uid>1</uid></plist>', /unsupported element <uid>/],
    ['a non-integer integer', '<plist><integer>1.5</integer></plist>', /not an integer/],
    ['an unknown entity', '<plist><string>&nbsp;</string></plist>', /unknown XML entity &nbsp;/],
    ['trailing content after the root value', '<plist><true/><false/></plist>', /expected <\/plist>/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parsePlist(text)).toThrow(PlistError);
    expect(() => parsePlist(text)).toThrow(message);
  });
});

describe('buildPlist', () => {
  it('round-trips through the plist package (strings with markup, nested dicts, arrays, booleans, numbers, dates, data)', () => {
    const value = parsePlist(GATEWAY_PLIST);
    const built = buildPlist(value);
    expect(normalise(plist.parse(built))).toEqual(normalise(value));
    expect(parsePlist(built)).toEqual(value);
    expect(normalise(parsePlist(buildPlist(plist.parse(GATEWAY_PLIST) as never)))).toEqual(normalise(value));
  });

  it('escapes markup in keys and strings so a value cannot inject elements', () => {
    const built = buildPlist({ 'k<x>': '</string><true/><string>' });
    expect(plist.parse(built)).toEqual({ 'k<x>': '</string><true/><string>' });
  });
});
