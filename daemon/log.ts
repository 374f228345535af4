/** The daemon's logger: pino JSON for journald/launchd, readable lines on a terminal, secrets censored. */
import pino, { type Logger, type LevelWithSilent } from 'pino';

/** Field names whose values never reach a log line, whatever logs them. */
const REDACT_PATHS = ['*.token', '*.password', '*.secret', '*.apiKey', '*.api_key', 'token', 'password', 'secret', 'env', '*.env'];

export function createLogger(level: LevelWithSilent, opts: { pretty?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && !opts.destination);
  const base = { level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard' } } });
  }
  return opts.destination ? pino(base, opts.destination) : pino(base);
}
