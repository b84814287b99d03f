/**
 * The data side of the simulator's own admin API (/rest/sim/1.0, unauthenticated like the
 * rest of it): a full export of a project for field-by-field comparisons, the webhook
 * delivery log, and moving an issue (Jira's move is UI-only, so tests need a way in).
 */
import { notFound } from '../errors.js';
import { type App, readJson, type RouteDeps } from './common.js';

export function registerSimRoutes(app: App, deps: RouteDeps): void {
  const { ctx } = deps;
  const sim = '/rest/sim/1.0';
  const admin = () =>
    ctx.findUser('admin') ?? [...ctx.users.values()].find((u) => ctx.hasPermission(u, 'ADMINISTER'));

  app.get(`${sim}/export`, (c) => {
    const key = c.req.query('project');
    const projects = key ? [deps.store.findProject(key)] : [...deps.store.projects.values()];
    if (projects.some((p) => p === undefined)) throw notFound(`No project could be found with key '${key}'.`);
    return c.json({
      projects: projects.map((p) => ({
        ...deps.render.project(p!, new Set(), true),
        issues: [...p!.issues]
          .sort((a, b) => a.num - b.num)
          .map((i) => deps.render.issue(i, { expand: new Set(['changelog']) })),
      })),
    });
  });

  app.get(`${sim}/webhook-deliveries`, (c) => {
    const event = c.req.query('event');
    const withBody = c.req.query('body') === 'true';
    const deliveries = deps.hooks.dispatcher.log
      .filter((d) => !event || d.event === event)
      .map(({ body, ...rest }) => (withBody ? { ...rest, body } : rest));
    return c.json({ deliveries });
  });
  app.delete(`${sim}/webhook-deliveries`, (c) => {
    deps.hooks.dispatcher.log.length = 0;
    return c.body(null, 204);
  });
  app.post(`${sim}/webhook-deliveries/flush`, async (c) => {
    await deps.hooks.dispatcher.idle();
    return c.body(null, 204);
  });

  app.post(`${sim}/issues/:id/move`, async (c) => {
    const body = await readJson(c);
    const projectKey = typeof body.projectKey === 'string' ? body.projectKey : '';
    const issueTypeId = typeof body.issueTypeId === 'string' ? body.issueTypeId : undefined;
    const issue = deps.service.moveIssue(admin(), c.req.param('id'), projectKey, issueTypeId);
    return c.json({ id: issue.id, key: issue.key, self: `${deps.render.api}/issue/${issue.id}` });
  });
}
