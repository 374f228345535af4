/** Runs the service managers' tools (systemctl, launchctl) by absolute path, or a stand-in given by tests. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the tool could not be started at all (not installed). */
  error?: string;
}

export type CommandRunner = (argv: readonly string[]) => CommandResult;

/** Never resolved through PATH: a PATH entry planted ahead of /usr/bin must not stand in for the service manager. */
const TOOL_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

export function toolPath(name: string): string | null {
  for (const dir of TOOL_DIRS) {
    const candidate = `${dir}/${name}`;
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export const systemRunner: CommandRunner = (argv) => {
  const [name, ...args] = argv;
  const tool = name ? toolPath(name) : null;
  if (!tool) return { status: null, stdout: '', stderr: '', error: `${name} not found in ${TOOL_DIRS.join(', ')}` };
  const res = spawnSync(tool, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0', LC_ALL: 'C' } });
  if (res.error) return { status: null, stdout: res.stdout ?? '', stderr: res.stderr ?? '', error: res.error.message };
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
};

export function formatCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(' ');
}

/** The last useful line of a failed command's output, for one-line messages. */
export function failureText(res: CommandResult): string {
  if (res.error) return res.error;
  const text = (res.stderr || res.stdout).trim().split('\n').filter(Boolean).at(-1) ?? '';
  return `exit ${res.status}${text ? `: ${text}` : ''}`;
}
