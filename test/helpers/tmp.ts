/** Shared test helpers: private temp dirs that are removed after each test, and a silent logger. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';

/** Creates temp dirs on demand and removes every one of them in cleanup(). */
export function tempDirs(prefix = 'ocsec-test-'): { make(): string; cleanup(): void } {
  const made: string[] = [];
  return {
    make() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    cleanup() {
      for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Lets every pending promise continuation run (one macrotask turn); not a sleep, no wall time involved. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
