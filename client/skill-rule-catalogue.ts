/** The skill red-flag rules' names, levels and guidance, shared by the daemon's scanner and the CLI's SARIF output. */
import type { Severity, SkillLevel } from './security-report.js';

export interface SkillRuleInfo {
  level: SkillLevel;
  severity: Severity;
  title: string;
  /** Why it matters and what to do. */
  help: string;
}

export const SKILL_RULES = {
  'pipe-to-shell': {
    level: 'reject',
    severity: 'critical',
    title: 'Downloads code and pipes it to a shell or interpreter',
    help: 'curl … | sh, wget … | bash and their equivalents run whatever the server sends, unreviewed. Reject the skill, or vendor the script, review it and run the reviewed copy.',
  },
  'sensitive-path': {
    level: 'reject',
    severity: 'critical',
    title: 'Reads SSH, GnuPG or AWS credentials',
    help: 'No skill needs ~/.ssh, ~/.gnupg or ~/.aws/credentials; reading them is how credential stealers work. Reject the skill.',
  },
  'encoded-payload': {
    level: 'reject',
    severity: 'critical',
    title: 'Base64 blob that decodes to a command or code',
    help: 'Encoding hides a payload from review. Decode it, read it, and reject the skill if it runs code.',
  },
  'covert-instructions': {
    level: 'reject',
    severity: 'critical',
    title: 'Covert instructions to the agent',
    help: '"Don\'t tell the user", "internal rules", "ignore previous instructions" and invisible characters are prompt-injection tells. Reject the skill.',
  },
  'unknown-domain': {
    level: 'warn',
    severity: 'medium',
    title: 'URL to a domain not on the known-good list',
    help: 'A skill that talks to an unverifiable domain can exfiltrate data or fetch changing instructions. Check who runs the domain; allow it in network.outboundAllowlist / egress_allowlist.json only if it is trustworthy.',
  },
  'dynamic-exec': {
    level: 'warn',
    severity: 'high',
    title: 'Executes dynamically built code or commands',
    help: 'eval/exec of input that can come from a prompt or the network turns prompt injection into code execution. Replace it with fixed commands and validated arguments.',
  },
  'paste-commands': {
    level: 'warn',
    severity: 'medium',
    title: '"Initialization steps" asking the user to run commands in a terminal',
    help: "Social engineering moves the attack outside the agent's sandbox and approvals. Do not paste commands from a skill; read what each does first.",
  },
  'config-request': {
    level: 'warn',
    severity: 'medium',
    title: 'Asks for configuration or rules files at runtime',
    help: "A skill that reads OpenClaw's configuration, credentials or the agent's rules can steal tokens or learn how to evade them. Find out why it needs them.",
  },
  'name-typosquat': {
    level: 'warn',
    severity: 'high',
    title: 'Name close to an official skill',
    help: 'A name one or two edits away from an official skill (or the same name, shadowing it) is how look-alike packages get installed. Check the author and compare with the official skill.',
  },
  'symlink-escape': {
    level: 'warn',
    severity: 'high',
    title: "Symbolic link pointing outside the skill's directory",
    help: 'A link out of the skill exposes whatever it points to, or lets the target be swapped later. Remove the link; copy what the skill needs into it.',
  },
  'out-of-scope-path': {
    level: 'note',
    severity: 'low',
    title: "File paths beyond the skill's stated purpose",
    help: 'Paths outside the skill and workspace that its name and description do not explain. Check that the access is needed; restrict file tools with tools.fs.workspaceOnly.',
  },
  'unrequested-network': {
    level: 'note',
    severity: 'low',
    title: 'Network calls the user did not ask for',
    help: "Network access that the skill's description does not mention, or code that runs at install time. Confirm what it sends and where.",
  },
} as const satisfies Record<string, SkillRuleInfo>;

export type SkillRuleId = keyof typeof SKILL_RULES;
