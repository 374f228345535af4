/**
 * Recognises the OpenClaw gateway by its command line. The gateway names itself `openclaw-gateway`
 * (process title; the kernel's 15-byte comm shows `openclaw-gatewa`), and started from the CLI its argv is
 * `[node [flags]] …/openclaw[.mjs|.js] [global flags] gateway [run] [options]`. `openclaw gateway status`,
 * `install`, `restart` and the like are short-lived management commands, not the gateway.
 */
import { basename } from 'node:path';

const TITLE = 'openclaw-gateway';
const ENTRY_NAMES = new Set(['openclaw', 'openclaw.mjs', 'openclaw.js', 'openclaw.cjs']);
const RUNTIMES = /^(node|nodejs|bun|node\d+)$/;
const MANAGEMENT_VERBS = new Set(['install', 'uninstall', 'status', 'start', 'stop', 'restart', 'call', 'probe', 'health', 'discover', 'logs', 'help']);

function isEntry(arg: string): boolean {
  return ENTRY_NAMES.has(basename(arg)) || /\/node_modules\/openclaw\/(dist\/)?(index|entry|cli|openclaw)\.[cm]?js$/.test(arg);
}

export function isGatewayCommand(argv: readonly string[]): boolean {
  const words = argv.filter((a) => a !== '');
  const first = words[0];
  if (!first) return false;
  if (first === TITLE || basename(first) === TITLE || first.startsWith(`${TITLE} `)) return true;
  let entry = -1;
  if (isEntry(first)) entry = 0;
  else if (RUNTIMES.test(basename(first))) {
    for (let i = 1; i < Math.min(words.length, 8); i++) {
      if (isEntry(words[i]!)) {
        entry = i;
        break;
      }
      if (!words[i]!.startsWith('-')) break; // the script is not OpenClaw
    }
  }
  if (entry < 0) return false;
  // `gateway` within the first few words after the entry (global flags such as --profile NAME may come first).
  const rest = words.slice(entry + 1, entry + 5);
  const at = rest.indexOf('gateway');
  if (at < 0) return false;
  const before = rest.slice(0, at);
  const onlyGlobalFlags = before.every((w, i) => w.startsWith('-') || (i > 0 && before[i - 1]!.startsWith('--') && !before[i - 1]!.includes('=')));
  if (!onlyGlobalFlags) return false;
  const verb = rest[at + 1];
  return verb === undefined || verb === 'run' || verb.startsWith('-') || !MANAGEMENT_VERBS.has(verb);
}
