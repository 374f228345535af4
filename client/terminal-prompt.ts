/** Asks the person at the controlling terminal (/dev/tty, never stdin) and reads the answer, echoing or not. */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';

export interface TerminalPrompt {
  write(text: string): void;
  /** A line typed by the person (echoed); null on end of input or Ctrl-C. */
  readLine(prompt: string): string | null;
  /** A secret typed without echo; null on end of input or Ctrl-C. */
  readSecret(prompt: string): string | null;
  close(): void;
}

/** Opens the controlling terminal; null when the process has none (a service, a pipe, cron). */
export function openTerminal(): TerminalPrompt | null {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return null;
  }
  const write = (text: string) => {
    writeSync(fd, text);
  };
  const readBytes = (echo: boolean): string | null => {
    const stream = echo ? null : new ReadStream(fd);
    // Raw mode turns echo off; we then handle erase and the line end ourselves.
    stream?.setRawMode(true);
    const buf = Buffer.alloc(1);
    const bytes: number[] = [];
    try {
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, 1, null);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
          return null;
        }
        if (n === 0) return null;
        const b = buf[0]!;
        if (b === 0x03 || (b === 0x04 && bytes.length === 0)) return null; // Ctrl-C, or Ctrl-D on an empty line
        if (b === 0x0a || b === 0x0d) break;
        if (!echo && (b === 0x7f || b === 0x08)) {
          bytes.pop();
          continue;
        }
        bytes.push(b);
      }
    } finally {
      stream?.setRawMode(false);
      if (!echo) write('\n');
    }
    return Buffer.from(bytes).toString('utf8');
  };
  return {
    write,
    readLine(prompt) {
      write(prompt);
      return readBytes(true);
    },
    readSecret(prompt) {
      write(prompt);
      return readBytes(false);
    },
    close() {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    },
  };
}

