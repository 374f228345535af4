/** The OpenClaw gateway's port: `gateway.port` in openclaw.json (JSON5; OPENCLAW_CONFIG_PATH, else <state>/openclaw.json), 18789 by default. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import JSON5 from 'json5';

export const DEFAULT_GATEWAY_PORT = 18789;

export interface GatewayPort {
  port: number;
  source: 'default' | 'openclaw.json';
  path: string;
  /** Why the file's value was not used (unreadable, not JSON5, out-of-range port); null when it was, or there is no file. */
  problem: string | null;
}

export function openclawConfigPath(stateDir: string, env: NodeJS.ProcessEnv): string {
  const fromEnv = env.OPENCLAW_CONFIG_PATH;
  return fromEnv && fromEnv.length > 0 ? fromEnv : join(stateDir, 'openclaw.json');
}

/** Read on every ports sample, so a changed gateway port is picked up without a restart. Never throws. */
export function readGatewayPort(path: string): GatewayPort {
  const fallback = (problem: string | null): GatewayPort => ({ port: DEFAULT_GATEWAY_PORT, source: 'default', path, problem });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fallback(code === 'ENOENT' ? null : `cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  let config: unknown;
  try {
    config = JSON5.parse(text);
  } catch (err) {
    return fallback(`${path} is not valid JSON5: ${(err as Error).message}; assuming the default port ${DEFAULT_GATEWAY_PORT}`);
  }
  const gateway = typeof config === 'object' && config !== null ? (config as Record<string, unknown>).gateway : undefined;
  const port = typeof gateway === 'object' && gateway !== null ? (gateway as Record<string, unknown>).port : undefined;
  if (port === undefined) return fallback(null);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return fallback(`${path}: gateway.port is ${JSON.stringify(port)}, not a port number; assuming the default port ${DEFAULT_GATEWAY_PORT}`);
  }
  return { port, source: 'openclaw.json', path, problem: null };
}
