/** Where ocsec keeps its files: one function from the environment to every path in DESIGN.md's table. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface Layout {
  stateDir: string;
  securityDir: string;
  runDir: string;
  binDir: string;
  assessmentsDir: string;
  socketPath: string;
  dbPath: string;
  auditMirrorPath: string;
  configPath: string;
  policyFiles: {
    approvedPorts: string;
    commandPolicy: string;
    egressAllowlist: string;
    promptPolicy: string;
  };
}

/** `$OPENCLAW_STATE_DIR` or `~/.openclaw`, the same override OpenClaw itself uses. */
export function stateDirFrom(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.OPENCLAW_STATE_DIR;
  return resolve(fromEnv && fromEnv.length > 0 ? fromEnv : join(homedir(), '.openclaw'));
}

export function layoutFor(stateDir: string): Layout {
  const securityDir = join(stateDir, 'security');
  const runDir = join(stateDir, 'run');
  return {
    stateDir,
    securityDir,
    runDir,
    binDir: join(stateDir, 'bin'),
    assessmentsDir: join(securityDir, 'assessments'),
    socketPath: join(runDir, 'ocsecd.sock'),
    dbPath: join(securityDir, 'ocsec.db'),
    auditMirrorPath: join(securityDir, 'privileged-audit.jsonl'),
    configPath: join(securityDir, 'ocsec.json'),
    policyFiles: {
      approvedPorts: join(securityDir, 'approved_ports.json'),
      commandPolicy: join(securityDir, 'command-policy.json'),
      egressAllowlist: join(securityDir, 'egress_allowlist.json'),
      promptPolicy: join(securityDir, 'prompt-policy.json'),
    },
  };
}

/** Files and directories the daemon creates or tightens, with the mode each must have. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
