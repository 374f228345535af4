#!/usr/bin/env node
/** ocsecd's entry point: arguments, logger, signals and exit codes around startDaemon. */
import { parseArgs } from 'node:util';
import { layoutFor, stateDirFrom } from '../client/layout.js';
import { VERSION } from '../client/version.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { startDaemon } from './ocsecd.js';
import { SocketStartupError } from './server.js';
import { StateDirError } from './state-dir.js';
import { StoreOpenError } from './store/db.js';
import type { LevelWithSilent } from 'pino';

const USAGE = `Usage: ocsecd [--state-dir DIR] [--log-level LEVEL] [--version] [--help]

Runs the ocsec daemon in the foreground. State lives in $OPENCLAW_STATE_DIR or ~/.openclaw;
the RPC socket is <state>/run/ocsecd.sock. Stop it with SIGTERM or Ctrl-C.`;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        'state-dir': { type: 'string' },
        'log-level': { type: 'string' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`ocsecd: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (args.version) {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  if (args['log-level'] && !LEVELS.includes(args['log-level'])) {
    process.stderr.write(`ocsecd: --log-level must be one of ${LEVELS.join(', ')}\n`);
    return 2;
  }
  process.umask(0o077); // everything the daemon creates is private unless it says otherwise

  const stateDir = args['state-dir'] ?? stateDirFrom();
  let level: LevelWithSilent = 'info';
  try {
    level = (args['log-level'] as LevelWithSilent | undefined) ?? loadConfig(layoutFor(stateDir).configPath).config.log_level;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`ocsecd: invalid configuration: ${err.message}\n`);
    return 1;
  }
  const log = createLogger(level);
  // A background job's failure is logged, not fatal: privileged paths fail closed per request, and a crash
  // would take approvals and idle-expiry with it.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection in a background task'));

  let daemon;
  try {
    daemon = await startDaemon({ stateDir, log });
  } catch (err) {
    if (err instanceof SocketStartupError || err instanceof StoreOpenError || err instanceof StateDirError || err instanceof ConfigError) {
      process.stderr.write(`ocsecd: ${err.message}\n`);
      return 1;
    }
    throw err;
  }

  return new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      daemon.stop(signal).then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ocsecd: fatal: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
