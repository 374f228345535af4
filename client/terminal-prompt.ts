/** Asks the person at the controlling terminal (/dev/tty, never stdin) and reads the answer, echoing or not. */
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
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
  // Input already waiting (typeahead, or bytes a process pushed into the terminal earlier) must not answer a prompt
  // nobody has seen yet. Raw mode for the moment makes a half-typed line (no Enter yet) readable, so it goes too.
  const discardPendingInput = () => {
    let drainFd: number | null = null;
    let stream: ReadStream | null = null;
    try {
      drainFd = openSync('/dev/tty', constants.O_RDONLY | constants.O_NONBLOCK);
      stream = new ReadStream(fd);
      stream.setRawMode(true);
      const buf = Buffer.alloc(4096);
      // Bounded: a terminal flooded faster than we read cannot keep the prompt from appearing.
      for (let i = 0; i < 256 && readSync(drainFd, buf, 0, buf.length, null) > 0; i++);
    } catch {
      // EAGAIN: nothing (more) waiting. Anything else: best effort, the prompt still works.
    } finally {
      try {
        stream?.setRawMode(false);
      } catch {
        // the terminal went away; the read that follows reports it
      }
      try {
        if (drainFd !== null) closeSync(drainFd);
      } catch {
        // nothing left to release
      }
    }
  };
  return {
    write,
    readLine(prompt) {
      discardPendingInput();
      write(prompt);
      return readBytes(true);
    },
    readSecret(prompt) {
      discardPendingInput();
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

