/** Reads and writes XML property lists (launchd's format) without a runtime dependency: the subset launchd uses. */

export type PlistValue = string | number | boolean | Date | Buffer | PlistValue[] | { [key: string]: PlistValue };
export type PlistDict = { [key: string]: PlistValue };

export class PlistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlistError';
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const ch = ENTITIES[name];
    if (ch === undefined) throw new PlistError(`unknown XML entity ${whole}`);
    return ch;
  });
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

type Token = { kind: 'open' | 'close' | 'empty'; name: string; at: number } | { kind: 'text'; text: string; at: number };

function tokenize(xml: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) {
      tokens.push({ kind: 'text', text: xml.slice(i), at: i });
      break;
    }
    if (lt > i) tokens.push({ kind: 'text', text: xml.slice(i, lt), at: i });
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end < 0) throw new PlistError(`unterminated comment at offset ${lt}`);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<?', lt) || xml.startsWith('<!', lt)) {
      const end = xml.indexOf('>', lt);
      if (end < 0) throw new PlistError(`unterminated declaration at offset ${lt}`);
      i = end + 1;
      continue;
    }
    const end = xml.indexOf('>', lt);
    if (end < 0) throw new PlistError(`unterminated tag at offset ${lt}`);
    const body = xml.slice(lt + 1, end).trim();
    if (body.startsWith('/')) tokens.push({ kind: 'close', name: body.slice(1).trim(), at: lt });
    else if (body.endsWith('/')) tokens.push({ kind: 'empty', name: body.slice(0, -1).trim().split(/\s/)[0]!, at: lt });
    else tokens.push({ kind: 'open', name: body.split(/\s/)[0]!, at: lt });
    i = end + 1;
  }
  return tokens;
}

/** Parses an XML plist document; throws PlistError naming the offset on anything it does not understand. */
export function parsePlist(xml: string): PlistValue {
  if (xml.startsWith('bplist')) throw new PlistError('binary property list; convert it first with `plutil -convert xml1 FILE`');
  const tokens = tokenize(xml);
  let pos = 0;
  const skipBlank = () => {
    while (pos < tokens.length) {
      const t = tokens[pos]!;
      if (t.kind === 'text' && t.text.trim() === '') pos++;
      else break;
    }
  };
  const textUntilClose = (name: string): string => {
    let text = '';
    while (pos < tokens.length) {
      const t = tokens[pos]!;
      if (t.kind === 'text') {
        text += t.text;
        pos++;
        continue;
      }
      if (t.kind === 'close' && t.name === name) {
        pos++;
        return decodeEntities(text);
      }
      throw new PlistError(`unexpected <${t.kind === 'close' ? '/' : ''}${t.name}> inside <${name}> at offset ${t.at}`);
    }
    throw new PlistError(`<${name}> is not closed`);
  };
  const value = (): PlistValue => {
    skipBlank();
    const t = tokens[pos];
    if (!t) throw new PlistError('unexpected end of document');
    if (t.kind === 'text') throw new PlistError(`unexpected text at offset ${t.at}`);
    pos++;
    if (t.kind === 'empty') {
      if (t.name === 'true') return true;
      if (t.name === 'false') return false;
      if (t.name === 'string') return '';
      if (t.name === 'dict') return {};
      if (t.name === 'array') return [];
      throw new PlistError(`unsupported empty element <${t.name}/> at offset ${t.at}`);
    }
    if (t.kind === 'close') throw new PlistError(`unexpected </${t.name}> at offset ${t.at}`);
    switch (t.name) {
      case 'string':
        return textUntilClose('string');
      case 'integer': {
        const text = textUntilClose('integer').trim();
        if (!/^[+-]?\d+$/.test(text)) throw new PlistError(`<integer> "${text}" is not an integer (offset ${t.at})`);
        return Number(text);
      }
      case 'real': {
        const n = Number(textUntilClose('real').trim());
        if (Number.isNaN(n)) throw new PlistError(`<real> is not a number (offset ${t.at})`);
        return n;
      }
      case 'date':
        return new Date(textUntilClose('date').trim());
      case 'data':
        return Buffer.from(textUntilClose('data').replace(/\s+/g, ''), 'base64');
      case 'true':
      case 'false':
        textUntilClose(t.name);
        return t.name === 'true';
      case 'array': {
        const out: PlistValue[] = [];
        for (;;) {
          skipBlank();
          const next = tokens[pos];
          if (!next) throw new PlistError('<array> is not closed');
          if (next.kind === 'close' && next.name === 'array') {
            pos++;
            return out;
          }
          out.push(value());
        }
      }
      case 'dict': {
        const out: PlistDict = {};
        for (;;) {
          skipBlank();
          const next = tokens[pos];
          if (!next) throw new PlistError('<dict> is not closed');
          if (next.kind === 'close' && next.name === 'dict') {
            pos++;
            return out;
          }
          if (next.kind !== 'open' || next.name !== 'key') throw new PlistError(`expected <key> in <dict> at offset ${next.at}`);
          pos++;
          const key = textUntilClose('key');
          out[key] = value();
        }
      }
      default:
        throw new PlistError(`unsupported element <${t.name}> at offset ${t.at}`);
    }
  };
  skipBlank();
  const root = tokens[pos];
  if (!root || root.kind !== 'open' || root.name !== 'plist') throw new PlistError('not a property list: no <plist> element');
  pos++;
  const result = value();
  skipBlank();
  const close = tokens[pos];
  if (!close || close.kind !== 'close' || close.name !== 'plist') throw new PlistError('expected </plist> after the root value');
  return result;
}

function isDict(v: PlistValue): v is PlistDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

export function asDict(v: PlistValue, what: string): PlistDict {
  if (!isDict(v)) throw new PlistError(`${what}: the root of the property list is not a <dict>`);
  return v;
}

function render(v: PlistValue, indent: string, out: string[]): void {
  if (typeof v === 'string') out.push(`${indent}<string>${escapeXml(v)}</string>`);
  else if (typeof v === 'boolean') out.push(`${indent}<${v}/>`);
  else if (typeof v === 'number') out.push(Number.isInteger(v) ? `${indent}<integer>${v}</integer>` : `${indent}<real>${v}</real>`);
  else if (v instanceof Date) out.push(`${indent}<date>${v.toISOString().replace(/\.\d{3}Z$/, 'Z')}</date>`);
  else if (v instanceof Uint8Array) out.push(`${indent}<data>${Buffer.from(v).toString('base64')}</data>`);
  else if (Array.isArray(v)) {
    out.push(`${indent}<array>`);
    for (const item of v) render(item, indent + '\t', out);
    out.push(`${indent}</array>`);
  } else {
    out.push(`${indent}<dict>`);
    for (const [key, item] of Object.entries(v)) {
      out.push(`${indent}\t<key>${escapeXml(key)}</key>`);
      render(item, indent + '\t', out);
    }
    out.push(`${indent}</dict>`);
  }
}

/** Serialises a value as an XML plist document in Apple's layout (tabs, DOCTYPE). */
export function buildPlist(v: PlistValue): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
  ];
  render(v, '', out);
  out.push('</plist>', '');
  return out.join('\n');
}
