/** Project versions: create, read, update/release, move, delete, merge. */
import { type App, apiPrefixes, readJson, type RouteDeps } from './common.js';

export function registerVersionRoutes(app: App, deps: RouteDeps): void {
  const { ctx } = deps;
  for (const { prefix } of apiPrefixes(ctx)) {
    app.post(`${prefix}/version`, async (c) => {
      const version = deps.service.createVersion(c.get('user'), await readJson(c));
      return c.json(deps.render.version(version), 201);
    });
    app.get(`${prefix}/version/:id`, (c) =>
      c.json(deps.render.version(deps.service.version(c.get('user'), c.req.param('id')))),
    );
    app.put(`${prefix}/version/:id`, async (c) => {
      const version = deps.service.updateVersion(c.get('user'), c.req.param('id'), await readJson(c));
      return c.json(deps.render.version(version));
    });
    app.post(`${prefix}/version/:id/move`, async (c) => {
      const version = deps.service.moveVersion(c.get('user'), c.req.param('id'), await readJson(c));
      return c.json(deps.render.version(version));
    });
    app.delete(`${prefix}/version/:id`, (c) => {
      deps.service.deleteVersion(
        c.get('user'),
        c.req.param('id'),
        c.req.query('moveFixIssuesTo') || undefined,
        c.req.query('moveAffectedIssuesTo') || undefined,
      );
      return c.body(null, 204);
    });
    // Cloud's replacement for DELETE with parameters.
    app.post(`${prefix}/version/:id/removeAndSwap`, async (c) => {
      const body = await readJson(c, { optional: true });
      const s = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
      deps.service.deleteVersion(
        c.get('user'),
        c.req.param('id'),
        s(body.moveFixIssuesTo),
        s(body.moveAffectedIssuesTo),
      );
      return c.body(null, 204);
    });
    app.put(`${prefix}/version/:id/mergeto/:target`, (c) => {
      deps.service.mergeVersion(c.get('user'), c.req.param('id'), c.req.param('target'));
      return c.body(null, 204);
    });
    app.get(`${prefix}/version/:id/relatedIssueCounts`, (c) => {
      const version = deps.service.version(c.get('user'), c.req.param('id'));
      const project = deps.store.projects.get(version.projectId)!;
      let fixed = 0;
      let affected = 0;
      for (const issue of project.issues) {
        if (issue.fixVersionIds.includes(version.id)) fixed++;
        if (issue.versionIds.includes(version.id)) affected++;
      }
      return c.json({
        self: `${deps.render.api}/version/${version.id}`,
        issuesFixedCount: fixed,
        issuesAffectedCount: affected,
        issueCountWithCustomFieldsShowingVersion: 0,
      });
    });
  }
}
