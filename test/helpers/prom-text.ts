/** A strict reader of the Prometheus text exposition format (0.0.4), enough to check what the textfile export writes. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

/** Throws on the first line that is not valid exposition format, naming it. */
export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const out: Exposition = { help: new Map(), type: new Map(), samples: [] };
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.startsWith('# HELP ')) {
      const [name, ...rest] = line.slice(7).split(' ');
      if (!NAME.test(name!)) throw new Error(`line ${n}: bad metric name in HELP`);
      if (out.help.has(name!)) throw new Error(`line ${n}: second HELP for ${name}`);
      out.help.set(name!, rest.join(' '));
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, extra] = line.slice(7).split(' ');
      if (!NAME.test(name!) || !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type!) || extra !== undefined) throw new Error(`line ${n}: bad TYPE line`);
      if (out.samples.some((s) => s.name === name)) throw new Error(`line ${n}: TYPE for ${name} after its samples`);
      out.type.set(name!, type!);
      return;
    }
    if (line.startsWith('#') || line === '') throw new Error(`line ${n}: unexpected comment or blank line`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`line ${n}: not a sample: ${line}`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? '';
    while (rest.length > 0) {
      const lm = /^([^=]+)="((?:[^"\\]|\\[\\"n])*)"(,|$)/.exec(rest);
      if (!lm || !LABEL.test(lm[1]!)) throw new Error(`line ${n}: bad labels {${m[3]}}`);
      if (lm[1]! in labels) throw new Error(`line ${n}: duplicate label ${lm[1]}`);
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(lm[0].length);
    }
    out.samples.push({ name: m[1]!, labels, value: parseValue(m[4]!, n) });
  });
  const seen = new Set<string>();
  for (const s of out.samples) {
    const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series ${key}`);
    seen.add(key);
  }
  return out;
}
