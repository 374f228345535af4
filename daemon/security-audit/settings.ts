/**
 * The one table of openclaw.json key paths the audit reads. OpenClaw's own schema comes first; the
 * hardening guide's keys follow where they differ and are read only when present. A schema change
 * is a one-line edit here; checks name settings, never paths.
 */

export const SETTINGS = {
  gatewayBind: ['gateway.bind'],
  gatewayCustomBindHost: ['gateway.customBindHost'],
  gatewayPort: ['gateway.port'],
  gatewayAuthMode: ['gateway.auth.mode'],
  gatewayAuthToken: ['gateway.auth.token'],
  gatewayAuthPassword: ['gateway.auth.password'],
  gatewayRateLimit: ['gateway.auth.rateLimit', 'gateway.rateLimit'],
  gatewayTlsEnabled: ['gateway.tls.enabled'],
  gatewayTailscaleMode: ['gateway.tailscale.mode'],
  gatewayAllowedOrigins: ['gateway.controlUi.allowedOrigins', 'gateway.cors.allowedOrigins'],
  gatewayCorsCredentials: ['gateway.cors.allowCredentials'],
  controlUiInsecureAuth: ['gateway.controlUi.allowInsecureAuth'],
  controlUiNoDeviceAuth: ['gateway.controlUi.dangerouslyDisableDeviceAuth'],
  httpChatCompletions: ['gateway.http.endpoints.chatCompletions.enabled'],
  httpResponses: ['gateway.http.endpoints.responses.enabled'],
  hooksEnabled: ['hooks.enabled'],
  hooksToken: ['hooks.token'],
  sandboxMode: ['agents.defaults.sandbox.mode', 'sandbox'],
  toolsProfile: ['tools.profile'],
  toolsAllow: ['tools.allow'],
  toolsDeny: ['tools.deny'],
  execSecurity: ['tools.exec.security'],
  execAsk: ['tools.exec.ask'],
  execApprovalRequired: ['tools.execApproval.required'],
  elevatedEnabled: ['tools.elevated.enabled'],
  elevatedAllowFrom: ['tools.elevated.allowFrom'],
  fsWorkspaceOnly: ['tools.fs.workspaceOnly'],
  fileAccessAllowedPaths: ['tools.fileAccess.allowedPaths'],
  skillsAllowListOnly: ['skills.allow_list_only'],
  skillsAllowed: ['skills.allowed'],
  skillsAllowBundled: ['skills.allowBundled'],
  skillsEntries: ['skills.entries'],
  skillsExtraDirs: ['skills.load.extraDirs'],
  pluginsAllow: ['plugins.allow'],
  pluginsEntries: ['plugins.entries'],
  pluginsLoadPaths: ['plugins.load.paths'],
  channels: ['channels'],
  redactSensitive: ['logging.redactSensitive'],
  redactPatterns: ['logging.redactPatterns'],
  sanitizeFields: ['logging.sanitizeFields'],
  auditLogEnabled: ['logging.auditLog.enabled'],
  commandLoggerHook: ['hooks.internal.entries.command-logger.enabled'],
  auditLogRotationDays: ['logging.auditLog.rotationDays'],
  auditLogMaxSize: ['logging.auditLog.maxSizeMB'],
  auditLogPath: ['logging.auditLog.path'],
  loggingFile: ['logging.file'],
  allowUrlActions: ['security.allow_url_actions'],
  csrfProtection: ['security.csrfProtection'],
  outboundAllowlist: ['network.outboundAllowlist'],
  agentsDefaultsWorkspace: ['agents.defaults.workspace'],
  agentsList: ['agents.list'],
  agentsEntries: ['agents.entries'],
} as const satisfies Record<string, readonly string[]>;

export type SettingName = keyof typeof SETTINGS;

/** Paths inside one agent's object (`agents.list[i]` or `agents.entries.<id>`), which override the defaults. */
export const AGENT_SETTINGS = {
  id: ['id'],
  sandboxMode: ['sandbox.mode'],
  workspace: ['workspace'],
  toolsProfile: ['tools.profile'],
  toolsAllow: ['tools.allow'],
  toolsDeny: ['tools.deny'],
  execSecurity: ['tools.exec.security'],
  execAsk: ['tools.exec.ask'],
  elevatedAllowFrom: ['tools.elevated.allowFrom'],
  fsWorkspaceOnly: ['tools.fs.workspaceOnly'],
} as const satisfies Record<string, readonly string[]>;

export type AgentSettingName = keyof typeof AGENT_SETTINGS;

/** Objects only; `__proto__`-style keys never come from JSON5 as own data we follow. */
function child(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

export function valueAt(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split('.')) {
    value = child(value, key);
    if (value === undefined) return undefined;
  }
  return value;
}

export interface SettingValue {
  /** The key path the value came from, or the first candidate when none is set. */
  path: string;
  value: unknown;
  present: boolean;
}

function firstPresent(root: unknown, paths: readonly string[]): SettingValue {
  for (const path of paths) {
    const value = valueAt(root, path);
    if (value !== undefined) return { path, value, present: true };
  }
  return { path: paths[0]!, value: undefined, present: false };
}

export function readSetting(config: unknown, name: SettingName): SettingValue {
  return firstPresent(config, SETTINGS[name]);
}

export function readAgentSetting(agent: unknown, name: AgentSettingName): SettingValue {
  return firstPresent(agent, AGENT_SETTINGS[name]);
}

export function settingPaths(names: readonly SettingName[]): string[] {
  return [...new Set(names.flatMap((n) => SETTINGS[n]))];
}
