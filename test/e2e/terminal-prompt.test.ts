// End-to-end: client/terminal-prompt.ts (built, in dist/) on a real pty — input waiting before a prompt never answers it.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const PROMPT_MODULE = pathToFileURL(join(root, 'dist/client/terminal-prompt.js')).href;
const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;

// Prints its pid, then asks only when told (SIGUSR2): the test first makes sure the typeahead is in the terminal's
// input queue (the terminal has echoed it), so the outcome does not depend on timing.
const PROGRAM = `
import { openTerminal } from ${JSON.stringify(PROMPT_MODULE)};
const tty = openTerminal();
if (!tty) { console.log('NO-TTY'); process.exit(2); }
const giveUp = setTimeout(() => process.exit(3), 60_000);
process.once('SIGUSR2', () => {
  clearTimeout(giveUp);
  const answer = process.argv[2] === 'secret' ? tty.readSecret('? ') : tty.readLine('? ');
  tty.close();
  console.log('ANSWER=' + JSON.stringify(answer));
});
console.log('READY pid=' + process.pid);
`;

let dir = '';
let program = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ocsec-prompt-'));
  program = join(dir, 'ask.mjs');
  writeFileSync(program, PROGRAM);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The program on a fresh pty (util-linux `script`): what we write is typed at its terminal. */
function onPty(mode: 'line' | 'secret') {
  const child: ChildProcessWithoutNullStreams = spawn('script', ['-qfec', `'${process.execPath}' '${program}' ${mode}`, '/dev/null'], { stdio: 'pipe' });
  let output = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
    for (const w of [...waiters]) w();
  });
  const waitFor = (re: RegExp) =>
    new Promise<RegExpMatchArray>((res) => {
      const check = () => {
        const m = output.match(re);
        if (!m) return;
        waiters.splice(waiters.indexOf(check), 1);
        res(m);
      };
      waiters.push(check);
      check();
    });
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  return { child, waitFor, exited, type: (t: string) => child.stdin.write(t), text: () => output };
}

describe.skipIf(!hasScript)('terminal prompt discards input typed before it', () => {
  it.each([
    ['a whole line typed ahead', 'line', 'early\r', /pid=\d+\s[^]*early/],
    ['a half-typed line (no Enter yet)', 'line', 'y', /pid=\d+\s[^]*y/],
    ['a line typed ahead of a secret prompt', 'secret', 'early\r', /pid=\d+\s[^]*early/],
  ] as const)('%s does not answer the prompt (%s)', async (_label, mode, typeahead, echoed) => {
    const pty = onPty(mode);
    try {
      const [, pid] = (await pty.waitFor(/READY pid=(\d+)/))!;
      pty.type(typeahead);
      await pty.waitFor(echoed); // echoed by the terminal: it is waiting in the input queue
      process.kill(Number(pid), 'SIGUSR2');
      await pty.waitFor(/\? /);
      pty.type('late\r');
      const [, answer] = (await pty.waitFor(/ANSWER=(.*)/))!;
      expect(JSON.parse(answer!.trim()), pty.text()).toBe('late');
      await pty.exited;
    } finally {
      pty.child.kill();
    }
  });
});
