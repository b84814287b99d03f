import type { Hono } from 'hono';
import { z } from 'zod';
import { jiraTime } from '../clock.js';
import { PERMISSIONS, type SimEnv, type SimUser } from '../context.js';
import type { Core } from '../core.js';
import { faultConfigSchema } from '../faults/faults.js';
import { jiraError, readJsonObject } from '../http.js';
import { CLOUD_PATHS, DC_PATHS } from '../oauth2/provider.js';
import { patJson } from '../pat/store.js';
import { makeUser } from '../users.js';

const permissionList = z.array(z.enum(PERMISSIONS));
const userSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9._-]{1,60}$/, 'lower-case letters, digits, dot, dash or underscore'),
    displayName: z.string().min(1).max(200).optional(),
    emailAddress: z.email().optional(),
    password: z.string().min(1).max(200).optional(),
    permissions: permissionList.default([]),
    projectPermissions: z.record(z.string(), permissionList).optional(),
  })
  .strict();
const userUpdateSchema = z
  .object({
    displayName: z.string().min(1).max(200).optional(),
    emailAddress: z.email().optional(),
    password: z.string().min(1).max(200).optional(),
    // No default here: an update that leaves permissions out must keep them.
    permissions: permissionList.optional(),
    projectPermissions: z.record(z.string(), permissionList).optional(),
    active: z.boolean().optional(),
  })
  .strict();

function zodErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) errors[issue.path.join('.') || 'body'] = issue.message;
  return errors;
}

/** Test credentials of a simulated user: this is a test double, its users exist to be signed in as. */
export function adminUserJson(core: Core, user: SimUser) {
  return {
    name: user.name,
    key: user.key,
    accountId: user.accountId,
    displayName: user.displayName,
    emailAddress: user.emailAddress,
    password: user.password,
    ...(core.ctx.flavor === 'cloud' ? { apiToken: user.apiToken } : {}),
    active: user.active,
    permissions: [...user.permissions],
    projectPermissions: Object.fromEntries([...user.projectPermissions].map(([key, set]) => [key, [...set]])),
  };
}

/**
 * The simulator's own admin API under `/rest/sim/1.0`: a clean slate, the clock, faults,
 * users, and the OAuth clients, tokens and PATs tests need. Open to anyone: it only ever
 * listens on the loopback interface for tests and demos.
 */
export function registerAdminRoutes(app: Hono<SimEnv>, core: Core, listenUrl: () => string): void {
  const { ctx } = core;
  const sim = '/rest/sim/1.0';

  app.get(`${sim}/info`, (c) =>
    c.json({
      flavor: ctx.flavor,
      baseUrl: ctx.baseUrl,
      url: listenUrl(),
      contextPath: ctx.contextPath,
      cloudId: core.cloudId,
      users: [...ctx.users.values()].map((user) => adminUserJson(core, user)),
    }),
  );

  app.post(`${sim}/reset`, async (c) => {
    const body = (await readJsonObject(c)) ?? {};
    const seedIssues = body.seedIssues;
    if (
      seedIssues !== undefined &&
      (typeof seedIssues !== 'number' || !Number.isInteger(seedIssues) || seedIssues < 0)
    ) {
      return jiraError(c, 400, [], { seedIssues: 'seedIssues must be a whole number of 0 or more.' });
    }
    core.reset(seedIssues);
    return c.body(null, 204);
  });

  app.post(`${sim}/seed`, async (c) => {
    const body = await readJsonObject(c);
    const count = body?.count ?? body?.issues;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 1_000_000) {
      return jiraError(c, 400, [], { count: 'count must be a whole number from 0 to 1000000.' });
    }
    core.data?.seedIssues(count);
    return c.json({ seeded: count });
  });

  const clockJson = () => {
    const now = ctx.clock.now();
    return { now, iso: jiraTime(now), offsetMs: core.clock.offsetMs() };
  };
  app.get(`${sim}/clock`, (c) => c.json(clockJson()));
  app.post(`${sim}/clock`, async (c) => {
    const body = await readJsonObject(c);
    const advance = body?.advanceMs;
    const offset = body?.offsetMs;
    if (typeof advance === 'number' && Number.isFinite(advance) && offset === undefined)
      ctx.clock.advance(advance);
    else if (typeof offset === 'number' && Number.isFinite(offset) && advance === undefined)
      ctx.clock.setOffset(offset);
    else
      return jiraError(c, 400, [
        'Send {"advanceMs": n} to move the clock forward or {"offsetMs": n} to set the skew.',
      ]);
    return c.json(clockJson());
  });

  app.get(`${sim}/faults`, (c) => c.json(core.faults.describe()));
  app.put(`${sim}/faults`, async (c) => {
    const body = await readJsonObject(c);
    const parsed = faultConfigSchema.safeParse(body ?? {});
    if (!parsed.success)
      return jiraError(c, 400, ['The fault settings are not valid.'], zodErrors(parsed.error));
    core.faults.set(parsed.data);
    // Failed logins count from the moment a CAPTCHA fault is set, so tests stay independent.
    core.failedLogins.reset();
    return c.json(core.faults.describe());
  });
  app.delete(`${sim}/faults`, (c) => {
    core.faults.clear();
    core.failedLogins.reset();
    return c.body(null, 204);
  });

  app.get(`${sim}/users`, (c) => c.json([...ctx.users.values()].map((user) => adminUserJson(core, user))));
  app.post(`${sim}/users`, async (c) => {
    const parsed = userSchema.safeParse((await readJsonObject(c)) ?? {});
    if (!parsed.success) return jiraError(c, 400, ['The user is not valid.'], zodErrors(parsed.error));
    const input = parsed.data;
    if (ctx.users.has(input.name))
      return jiraError(c, 400, [], { name: 'A user with that username already exists.' });
    const user = makeUser(ctx.seed, input, input.permissions);
    for (const [key, list] of Object.entries(input.projectPermissions ?? {}))
      user.projectPermissions.set(key, new Set(list));
    ctx.users.set(user.name, user);
    return c.json(adminUserJson(core, user), 201);
  });
  app.put(`${sim}/users/:name`, async (c) => {
    const user = ctx.users.get(c.req.param('name'));
    if (!user) return jiraError(c, 404, [`The user named '${c.req.param('name')}' does not exist`]);
    const parsed = userUpdateSchema.safeParse((await readJsonObject(c)) ?? {});
    if (!parsed.success) return jiraError(c, 400, ['The user update is not valid.'], zodErrors(parsed.error));
    const input = parsed.data;
    if (input.displayName !== undefined) user.displayName = input.displayName;
    if (input.emailAddress !== undefined) user.emailAddress = input.emailAddress;
    if (input.password !== undefined) user.password = input.password;
    if (input.active !== undefined) user.active = input.active;
    if (input.permissions !== undefined) user.permissions = new Set(input.permissions);
    if (input.projectPermissions !== undefined) {
      user.projectPermissions = new Map(
        Object.entries(input.projectPermissions).map(([key, list]) => [key, new Set(list)]),
      );
    }
    return c.json(adminUserJson(core, user));
  });

  // OAuth 1.0a access tokens: listing shows no token secrets; DELETE revokes like Jira's "Revoke access".
  app.get(`${sim}/oauth/tokens`, (c) =>
    c.json(
      core.oauth1.accessTokens().map((token) => ({
        token: token.token,
        consumerKey: token.consumerKey,
        user: token.userName,
        createdAt: new Date(token.createdAt).toISOString(),
        expiresAt: new Date(token.expiresAt).toISOString(),
      })),
    ),
  );
  app.delete(`${sim}/oauth/tokens/:token`, (c) =>
    core.oauth1.revoke(c.req.param('token'))
      ? c.body(null, 204)
      : jiraError(c, 404, ['No such OAuth token.']),
  );

  const clientSchema = z
    .object({
      name: z.string().min(1).max(200).default('Testbridge'),
      redirectUris: z.array(z.url()).min(1).optional(),
      redirectUri: z.url().optional(),
    })
    .strict();
  app.post(`${sim}/oauth2/clients`, async (c) => {
    if (ctx.flavor === 'server') {
      return jiraError(c, 400, [
        'Jira Server 8.20 has no OAuth 2.0 provider. Start the simulator as cloud, dc9 or dc10.',
      ]);
    }
    const parsed = clientSchema.safeParse((await readJsonObject(c)) ?? {});
    if (!parsed.success)
      return jiraError(c, 400, ['The OAuth 2.0 client is not valid.'], zodErrors(parsed.error));
    const redirectUris =
      parsed.data.redirectUris ?? (parsed.data.redirectUri ? [parsed.data.redirectUri] : []);
    if (redirectUris.length === 0)
      return jiraError(c, 400, [], { redirectUris: 'Give at least one callback URL.' });
    const kind = ctx.flavor === 'cloud' ? 'cloud' : 'dc';
    const client = core.oauth2.registerClient(
      { name: parsed.data.name, redirectUris, kind },
      ctx.clock.now(),
    );
    const paths = kind === 'cloud' ? CLOUD_PATHS : DC_PATHS;
    return c.json(
      {
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        name: client.name,
        redirectUris: client.redirectUris,
        kind,
        authorizeUrl: `${ctx.baseUrl}${paths.authorize}`,
        tokenUrl: `${ctx.baseUrl}${paths.token}`,
        ...(kind === 'cloud'
          ? {
              accessibleResourcesUrl: `${ctx.baseUrl}/oauth/token/accessible-resources`,
              apiBaseUrl: `${ctx.baseUrl}/ex/jira/${core.cloudId}`,
            }
          : {}),
      },
      201,
    );
  });
  app.get(`${sim}/oauth2/clients`, (c) =>
    c.json(
      core.oauth2.clients().map((client) => ({
        clientId: client.clientId,
        name: client.name,
        redirectUris: client.redirectUris,
        kind: client.kind,
      })),
    ),
  );
  app.delete(`${sim}/oauth2/clients/:id`, (c) =>
    core.oauth2.deleteClient(c.req.param('id'))
      ? c.body(null, 204)
      : jiraError(c, 404, ['No such OAuth 2.0 client.']),
  );
  app.delete(`${sim}/oauth2/tokens/:token`, (c) =>
    core.oauth2.revoke(c.req.param('token'))
      ? c.body(null, 204)
      : jiraError(c, 404, ['No such OAuth 2.0 token.']),
  );

  app.post(`${sim}/pats`, async (c) => {
    if (ctx.flavor === 'cloud')
      return jiraError(c, 400, ['Jira Cloud has no personal access tokens; use an API token.']);
    const body = await readJsonObject(c);
    const userName = typeof body?.user === 'string' ? body.user : 'admin';
    const user = ctx.findUser(userName);
    if (!user) return jiraError(c, 404, [`The user named '${userName}' does not exist`]);
    const name = typeof body?.name === 'string' && body.name.trim() ? body.name.trim() : 'jira-sim token';
    const days = body?.expirationDays;
    if (days !== undefined && (typeof days !== 'number' || !Number.isInteger(days) || days < 1)) {
      return jiraError(c, 400, [], { expirationDays: 'expirationDays must be a whole number of 1 or more.' });
    }
    const token = core.pats.create(
      { name, userName: user.name, ...(typeof days === 'number' ? { expirationDays: days } : {}) },
      ctx.clock.now(),
    );
    return c.json({ ...patJson(token, true), user: user.name }, 201);
  });
}
