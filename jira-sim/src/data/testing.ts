/**
 * Test harness for the data side alone: a hand-made SimContext (users with different
 * permission sets, a movable clock) and a Hono app whose stand-in auth middleware takes
 * the caller from the `x-test-user` header (and `x-test-auth-kind`), so routes can be
 * exercised with `app.request` without the core's OAuth machinery.
 */
import { Hono } from 'hono';
import {
  type AuthKind,
  type Flavor,
  PERMISSIONS,
  type Permission,
  type SimContext,
  type SimEnv,
  type SimUser,
} from '../context.js';
import { createSimDataInternals, type SimDataInternals } from './index.js';

/** 2026-11-29T04:00:00Z: fixed, so seeded data and timestamps are reproducible. */
export const TEST_EPOCH = Date.UTC(2026, 10, 29, 4, 0, 0);

function user(name: string, displayName: string, permissions: readonly Permission[]): SimUser {
  return {
    name,
    key: name === 'admin' ? 'admin' : `JIRAUSER${name.length}${name.charCodeAt(0)}`,
    accountId: `5b10ac8d82e05b22cc7d${name.padEnd(4, '0').slice(0, 4)}`,
    displayName,
    emailAddress: `${name}@example.com`,
    password: name,
    apiToken: `token-${name}`,
    active: true,
    permissions: new Set(permissions),
    projectPermissions: new Map(),
  };
}

export function makeTestContext(
  flavor: Flavor = 'server',
  baseUrl = 'https://jira.example.com/jira',
): SimContext {
  let offset = 0;
  let advanced = 0;
  const users = new Map<string, SimUser>();
  for (const u of [
    user('admin', 'Administrator', PERMISSIONS),
    user(
      'developer',
      'Dana Developer',
      PERMISSIONS.filter((p) => p !== 'ADMINISTER' && p !== 'ADMINISTER_PROJECTS'),
    ),
    user('viewer', 'Vic Viewer', ['BROWSE_PROJECTS']),
    user('nobody', 'Nora Nobody', []),
  ]) {
    users.set(u.name, u);
  }
  const findUser = (id: string) =>
    users.get(id) ??
    [...users.values()].find(
      (u) => u.key === id || u.accountId === id || u.emailAddress === id || u.name === id,
    );
  return {
    flavor,
    baseUrl,
    contextPath: '',
    clock: {
      now: () => TEST_EPOCH + offset + advanced,
      advance: (ms) => {
        advanced += ms;
      },
      setOffset: (ms) => {
        offset = ms;
      },
    },
    users,
    findUser,
    hasPermission: (u, permission, projectKey) => {
      if (!u.active) return false;
      if (permission === 'ADMINISTER' || projectKey === undefined) return u.permissions.has(permission);
      return (u.projectPermissions.get(projectKey) ?? u.permissions).has(permission);
    },
    webhookFaults: { drop: 0, duplicate: 0, delayMs: 0, reorder: false },
    seed: 42,
    webhookRetryDelaysMs: [20, 40, 80],
    userJson: (u) =>
      flavor === 'cloud'
        ? {
            self: `${baseUrl}/rest/api/2/user?accountId=${u.accountId}`,
            accountId: u.accountId,
            accountType: 'atlassian',
            emailAddress: u.emailAddress,
            avatarUrls: {
              '48x48': `${baseUrl}/a.png`,
              '24x24': `${baseUrl}/a.png`,
              '16x16': `${baseUrl}/a.png`,
              '32x32': `${baseUrl}/a.png`,
            },
            displayName: u.displayName,
            active: u.active,
            timeZone: 'Etc/UTC',
          }
        : {
            self: `${baseUrl}/rest/api/2/user?username=${u.name}`,
            key: u.key,
            name: u.name,
            emailAddress: u.emailAddress,
            avatarUrls: {
              '48x48': `${baseUrl}/a.png`,
              '24x24': `${baseUrl}/a.png`,
              '16x16': `${baseUrl}/a.png`,
              '32x32': `${baseUrl}/a.png`,
            },
            displayName: u.displayName,
            active: u.active,
            timeZone: 'Etc/UTC',
          },
  };
}

export type TestRequest = {
  method?: string;
  /** Simulated caller; default admin. `null` sends the request anonymously. */
  as?: string | null;
  authKind?: AuthKind;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
};

export type TestApp = {
  app: Hono<SimEnv>;
  ctx: SimContext;
  data: SimDataInternals;
  request(path: string, init?: TestRequest): Promise<Response>;
  /** Request and parse JSON, returning status and body. */
  call<T = Record<string, unknown>>(path: string, init?: TestRequest): Promise<{ status: number; body: T }>;
};

export function makeTestApp(flavor: Flavor = 'server', options: { seedIssues?: number } = {}): TestApp {
  const ctx = makeTestContext(flavor);
  const data = createSimDataInternals(ctx);
  if (options.seedIssues) data.seedIssues(options.seedIssues);
  const app = new Hono<SimEnv>();
  app.use('*', async (c, next) => {
    const name = c.req.header('x-test-user');
    c.set('user', name ? ctx.findUser(name) : undefined);
    c.set(
      'authKind',
      name ? ((c.req.header('x-test-auth-kind') as AuthKind | undefined) ?? 'basic') : 'anonymous',
    );
    c.set('scopes', []);
    await next();
  });
  data.register(app);
  const request = (path: string, init: TestRequest = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const as = init.as === undefined ? 'admin' : init.as;
    if (as) headers['x-test-user'] = as;
    if (init.authKind) headers['x-test-auth-kind'] = init.authKind;
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
    }
    const method = init.method ?? (body === undefined ? 'GET' : 'POST');
    return Promise.resolve(app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }));
  };
  return {
    app,
    ctx,
    data,
    request,
    async call<T>(path: string, init?: TestRequest) {
      const response = await request(path, init);
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    },
  };
}
