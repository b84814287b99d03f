/**
 * Coarse OAuth 2.0 scope rules, close enough to Atlassian's that a client asking for too
 * little scope sees the failure it would see against the real thing.
 */
export function cloudScopeFor(method: string, path: string): string[] {
  const write = !['GET', 'HEAD', 'OPTIONS'].includes(method);
  if (/\/webhook/.test(path)) return ['manage:jira-webhook'];
  if (/\/(myself|user)(\/|$|\?)/.test(path)) return ['read:jira-user'];
  if (!write) return ['read:jira-work', 'manage:jira-project', 'manage:jira-configuration'];
  if (/\/(version|project)(\/|$)/.test(path) && !/\/issue/.test(path)) return ['manage:jira-project'];
  return ['write:jira-work'];
}

const DC_LEVELS = ['READ', 'WRITE', 'ADMIN', 'SYSTEM_ADMIN'] as const;

/** Data Center scopes are nested: WRITE includes READ, ADMIN includes WRITE, and so on. */
export function dcScopeAllows(granted: string[], method: string, path: string): boolean {
  const write = !['GET', 'HEAD', 'OPTIONS'].includes(method);
  const needed = /\/webhook/.test(path) ? 'ADMIN' : write ? 'WRITE' : 'READ';
  const level = Math.max(...granted.map((s) => DC_LEVELS.indexOf(s as (typeof DC_LEVELS)[number])));
  return level >= DC_LEVELS.indexOf(needed);
}

export const DC_SCOPES: readonly string[] = DC_LEVELS;
export const CLOUD_SCOPES: readonly string[] = [
  'read:jira-work',
  'write:jira-work',
  'read:jira-user',
  'manage:jira-project',
  'manage:jira-configuration',
  'manage:jira-webhook',
  'offline_access',
  'read:me',
];
