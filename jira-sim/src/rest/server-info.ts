import type { Hono } from 'hono';
import { jiraTime } from '../clock.js';
import type { SimEnv } from '../context.js';
import type { Core } from '../core.js';
import { flavorInfo } from '../flavors.js';
import { NOT_AUTHENTICATED, jiraError } from '../http.js';
import { apiVersionExists } from './permissions.js';

/** `serverInfo` and `myself`: who Jira is and who the caller is. */
export function registerServerInfo(app: Hono<SimEnv>, core: Core): void {
  const { ctx } = core;
  app.get('/rest/api/:version/serverInfo', (c) => {
    if (!apiVersionExists(core, c.req.param('version'))) return c.notFound();
    const info = flavorInfo(ctx.flavor);
    return c.json({
      baseUrl: ctx.baseUrl,
      version: info.version,
      versionNumbers: info.versionNumbers,
      deploymentType: info.deploymentType,
      buildNumber: info.buildNumber,
      buildDate: info.buildDate,
      serverTime: jiraTime(ctx.clock.now()),
      scmInfo: info.scmInfo,
      serverTitle: info.serverTitle,
      ...(ctx.flavor === 'cloud' ? { defaultLocale: { locale: 'en_US' }, serverTimeZone: 'Etc/UTC' } : {}),
    });
  });

  app.get('/rest/api/:version/myself', (c) => {
    if (!apiVersionExists(core, c.req.param('version'))) return c.notFound();
    const user = c.get('user');
    if (!user) return jiraError(c, 401, [NOT_AUTHENTICATED]);
    const groups = user.permissions.has('ADMINISTER')
      ? ['jira-administrators', 'jira-software-users']
      : ['jira-software-users'];
    return c.json({
      ...ctx.userJson(user),
      ...(ctx.flavor === 'cloud' ? {} : { deleted: false }),
      locale: 'en_US',
      groups: {
        size: groups.length,
        items: groups.map((name) => ({ name, self: `${ctx.baseUrl}/rest/api/2/group?groupname=${name}` })),
      },
      applicationRoles: { size: 1, items: [{ key: 'jira-software', name: 'Jira Software' }] },
      expand: 'groups,applicationRoles',
    });
  });
}
