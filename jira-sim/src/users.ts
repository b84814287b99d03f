import { createHash } from 'node:crypto';
import { PERMISSIONS, type Flavor, type Permission, type SimUser } from './context.js';

type UserSpec = { name: string; displayName: string; permissions: readonly Permission[] };

const ALL_BUT_ADMIN = PERMISSIONS.filter((p) => p !== 'ADMINISTER' && p !== 'ADMINISTER_PROJECTS');

/**
 * The simulated users. `admin`/`admin` holds everything, as in Atlassian's development Jira;
 * the others exist so tests can see how Jira answers a user who lacks a permission.
 */
export const DEFAULT_USERS: readonly UserSpec[] = [
  { name: 'admin', displayName: 'Administrator', permissions: PERMISSIONS },
  { name: 'developer', displayName: 'Dana Developer', permissions: ALL_BUT_ADMIN },
  { name: 'tester', displayName: 'Terry Tester', permissions: ['BROWSE_PROJECTS'] },
  { name: 'noperms', displayName: 'Nora No-Permissions', permissions: [] },
];

function digest(seed: number, purpose: string, name: string): string {
  return createHash('sha256').update(`${seed}:${purpose}:${name}`).digest('hex');
}

/** Deterministic per seed, so printed credentials stay the same between runs. */
export function makeUser(
  seed: number,
  spec: { name: string; displayName?: string; password?: string; emailAddress?: string },
  permissions: Iterable<Permission>,
): SimUser {
  return {
    name: spec.name,
    key:
      spec.name === 'admin'
        ? 'admin'
        : `JIRAUSER${10000 + Number.parseInt(digest(seed, 'key', spec.name).slice(0, 4), 16)}`,
    // Cloud account ids are 24 hex digits for users created before 2019's `557058:` style.
    accountId: digest(seed, 'account', spec.name).slice(0, 24),
    displayName: spec.displayName ?? spec.name,
    emailAddress: spec.emailAddress ?? `${spec.name}@example.com`,
    password: spec.password ?? spec.name,
    apiToken: `ATATT3x${digest(seed, 'api-token', spec.name).slice(0, 40)}`,
    active: true,
    permissions: new Set(permissions),
    projectPermissions: new Map(),
  };
}

export function defaultUsers(seed: number): Map<string, SimUser> {
  const users = new Map<string, SimUser>();
  for (const spec of DEFAULT_USERS) users.set(spec.name, makeUser(seed, spec, spec.permissions));
  return users;
}

export function findUser(users: Map<string, SimUser>, idOrName: string): SimUser | undefined {
  const direct = users.get(idOrName);
  if (direct) return direct;
  const wanted = idOrName.toLowerCase();
  for (const user of users.values()) {
    if (
      user.key === idOrName ||
      user.accountId === idOrName ||
      user.name.toLowerCase() === wanted ||
      user.emailAddress.toLowerCase() === wanted
    ) {
      return user;
    }
  }
  return undefined;
}

export function hasPermission(user: SimUser, permission: Permission, projectKey?: string): boolean {
  if (!user.active) return false;
  // Global permissions are never project-scoped in Jira.
  if (permission === 'ADMINISTER' || projectKey === undefined) return user.permissions.has(permission);
  const override = user.projectPermissions.get(projectKey);
  return (override ?? user.permissions).has(permission);
}

function avatarUrls(baseUrl: string, user: SimUser): Record<string, string> {
  const id = user.accountId.slice(0, 8);
  return {
    '48x48': `${baseUrl}/secure/useravatar?ownerId=${id}&avatarId=10122`,
    '24x24': `${baseUrl}/secure/useravatar?size=small&ownerId=${id}&avatarId=10122`,
    '16x16': `${baseUrl}/secure/useravatar?size=xsmall&ownerId=${id}&avatarId=10122`,
    '32x32': `${baseUrl}/secure/useravatar?size=medium&ownerId=${id}&avatarId=10122`,
  };
}

/** Jira's user object: Cloud identifies people by accountId only (GDPR), Server/DC by name and key. */
export function userJson(flavor: Flavor, baseUrl: string, user: SimUser): Record<string, unknown> {
  if (flavor === 'cloud') {
    return {
      self: `${baseUrl}/rest/api/2/user?accountId=${encodeURIComponent(user.accountId)}`,
      accountId: user.accountId,
      accountType: 'atlassian',
      emailAddress: user.emailAddress,
      avatarUrls: avatarUrls(baseUrl, user),
      displayName: user.displayName,
      active: user.active,
      timeZone: 'Etc/UTC',
    };
  }
  return {
    self: `${baseUrl}/rest/api/2/user?username=${encodeURIComponent(user.name)}`,
    key: user.key,
    name: user.name,
    emailAddress: user.emailAddress,
    avatarUrls: avatarUrls(baseUrl, user),
    displayName: user.displayName,
    active: user.active,
    timeZone: 'Etc/UTC',
  };
}
