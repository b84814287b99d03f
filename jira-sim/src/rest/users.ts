import type { Context, Hono } from 'hono';
import type { SimEnv, SimUser } from '../context.js';
import type { Core } from '../core.js';
import { NOT_AUTHENTICATED, jiraError } from '../http.js';
import { apiVersionExists } from './permissions.js';

/**
 * User lookups: `user`, `user/search` and `user/assignable/search`. Cloud is in GDPR strict
 * mode (accountId and `query` only); Server/DC look people up by username or key.
 */
export function registerUserRoutes(app: Hono<SimEnv>, core: Core): void {
  const { ctx } = core;
  const cloud = ctx.flavor === 'cloud';

  const guard = (c: Context<SimEnv>): Response | Promise<Response> | undefined => {
    if (!apiVersionExists(core, c.req.param('version') ?? '')) return c.notFound();
    if (!c.get('user')) return jiraError(c, 401, [NOT_AUTHENTICATED]);
    return undefined;
  };

  const matches = (user: SimUser, text: string | undefined) => {
    if (!text) return true;
    const wanted = text.toLowerCase();
    return [cloud ? '' : user.name, user.displayName, user.emailAddress].some((field) =>
      field.toLowerCase().includes(wanted),
    );
  };

  const limit = (c: Context<SimEnv>) => {
    const max = Number(c.req.query('maxResults') ?? '50');
    const start = Number(c.req.query('startAt') ?? '0');
    return {
      start: Number.isInteger(start) && start >= 0 ? start : 0,
      max: Number.isInteger(max) && max > 0 ? Math.min(max, 1000) : 50,
    };
  };

  app.get('/rest/api/:version/user', (c) => {
    const refused = guard(c);
    if (refused) return refused;
    const accountId = c.req.query('accountId');
    const username = c.req.query('username');
    const key = c.req.query('key');
    if (cloud && (username !== undefined || key !== undefined) && accountId === undefined) {
      return jiraError(c, 400, ["The query parameter 'username' is not supported in GDPR strict mode."]);
    }
    const wanted = accountId ?? username ?? key;
    if (!wanted) return jiraError(c, 400, [cloud ? 'Specify an accountId.' : 'Specify a username or key.']);
    const user = [...ctx.users.values()].find((u) =>
      cloud ? u.accountId === wanted : username !== undefined ? u.name === username : u.key === wanted,
    );
    if (!user) {
      return jiraError(c, 404, [
        cloud
          ? `Specified user does not exist or you do not have required permissions`
          : `The user named '${wanted}' does not exist`,
      ]);
    }
    return c.json({
      ...ctx.userJson(user),
      groups: { size: 0, items: [] },
      applicationRoles: { size: 0, items: [] },
    });
  });

  app.get('/rest/api/:version/user/search', (c) => {
    const refused = guard(c);
    if (refused) return refused;
    const text = cloud ? c.req.query('query') : c.req.query('username');
    if (!cloud && !text) return jiraError(c, 400, ['The username query parameter was not provided']);
    const { start, max } = limit(c);
    const found = [...ctx.users.values()].filter((u) => u.active && matches(u, text));
    return c.json(found.slice(start, start + max).map((u) => ctx.userJson(u)));
  });

  app.get('/rest/api/:version/user/assignable/search', (c) => {
    const refused = guard(c);
    if (refused) return refused;
    const issueKey = c.req.query('issueKey');
    let projectKey =
      c.req.query('project') ?? (issueKey ? /^([A-Z][A-Z0-9_]*)-\d+$/.exec(issueKey)?.[1] : undefined);
    if (!projectKey) return jiraError(c, 400, ['The project or issueKey parameter is required.']);
    if (core.data?.findProject) {
      const project = core.data.findProject(projectKey);
      if (!project) return jiraError(c, 404, [`No project could be found with key '${projectKey}'.`]);
      projectKey = project.key;
    }
    const text = c.req.query(cloud ? 'query' : 'username') ?? c.req.query('query');
    const { start, max } = limit(c);
    const found = [...ctx.users.values()].filter(
      (u) => u.active && ctx.hasPermission(u, 'ASSIGNABLE_USER', projectKey) && matches(u, text),
    );
    return c.json(found.slice(start, start + max).map((u) => ctx.userJson(u)));
  });
}
