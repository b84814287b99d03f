/** Projects, their versions and components, and Jira's fixed metadata (types, statuses, fields). */
import {
  findIssueType,
  ISSUE_TYPES,
  LINK_TYPES,
  PRIORITIES,
  RESOLUTIONS,
  STATUSES,
  STATUS_CATEGORIES,
} from '../catalog.js';
import { notFound } from '../errors.js';
import { FIELD_DEFS } from '../render.js';
import { type App, apiPrefixes, intParam, paged, readJson, type RouteDeps, splitList } from './common.js';

export function registerProjectRoutes(app: App, deps: RouteDeps): void {
  const { ctx } = deps;
  for (const { prefix } of apiPrefixes(ctx)) {
    app.get(`${prefix}/project`, (c) => {
      const expand = new Set(splitList(c.req.queries('expand')));
      return c.json(deps.service.visibleProjects(c.get('user')).map((p) => deps.render.project(p, expand)));
    });
    app.post(`${prefix}/project`, async (c) => {
      const project = deps.service.createProject(c.get('user'), await readJson(c));
      return c.json(
        { self: `${deps.render.api}/project/${project.id}`, id: Number(project.id), key: project.key },
        201,
      );
    });
    if (ctx.flavor === 'cloud') {
      app.get(`${prefix}/project/search`, (c) => {
        const expand = new Set(splitList(c.req.queries('expand')));
        const query = (c.req.query('query') ?? '').toLowerCase();
        const keys = new Set(splitList(c.req.queries('keys')).map((k) => k.toUpperCase()));
        const projects = deps.service
          .visibleProjects(c.get('user'))
          .filter(
            (p) => !query || p.key.toLowerCase().includes(query) || p.name.toLowerCase().includes(query),
          )
          .filter((p) => keys.size === 0 || keys.has(p.key));
        const startAt = intParam(c, 'startAt', 0);
        const maxResults = Math.min(intParam(c, 'maxResults', 50), 100);
        return c.json(
          paged(
            c,
            projects.map((p) => deps.render.project(p, expand)),
            startAt,
            maxResults,
            ctx.baseUrl,
          ),
        );
      });
    }
    app.get(`${prefix}/project/:key`, (c) => {
      const expand = new Set(splitList(c.req.queries('expand')));
      return c.json(
        deps.render.project(deps.service.project(c.get('user'), c.req.param('key')), expand, true),
      );
    });
    app.put(`${prefix}/project/:key`, async (c) => {
      const project = deps.service.updateProject(c.get('user'), c.req.param('key'), await readJson(c));
      return c.json(deps.render.project(project, new Set(), true));
    });
    app.delete(`${prefix}/project/:key`, (c) => {
      deps.service.deleteProject(c.get('user'), c.req.param('key'));
      return c.body(null, 204);
    });
    app.get(`${prefix}/project/:key/versions`, (c) => {
      const project = deps.service.project(c.get('user'), c.req.param('key'));
      return c.json(project.versions.map((v) => deps.render.version(v)));
    });
    app.get(`${prefix}/project/:key/version`, (c) => {
      const project = deps.service.project(c.get('user'), c.req.param('key'));
      const status = new Set(splitList(c.req.queries('status')));
      const query = (c.req.query('query') ?? '').toLowerCase();
      const versions = project.versions.filter(
        (v) =>
          (status.size === 0 ||
            (status.has('released') && v.released) ||
            (status.has('unreleased') && !v.released) ||
            (status.has('archived') && v.archived)) &&
          (!query || v.name.toLowerCase().includes(query) || v.description.toLowerCase().includes(query)),
      );
      const startAt = intParam(c, 'startAt', 0);
      const maxResults = Math.min(intParam(c, 'maxResults', 50), 1000);
      return c.json(
        paged(
          c,
          versions.map((v) => deps.render.version(v)),
          startAt,
          maxResults,
          ctx.baseUrl,
        ),
      );
    });
    app.get(`${prefix}/project/:key/components`, (c) => {
      const project = deps.service.project(c.get('user'), c.req.param('key'));
      return c.json(project.components.map((x) => deps.render.component(x)));
    });
    app.get(`${prefix}/project/:key/statuses`, (c) => {
      const project = deps.service.project(c.get('user'), c.req.param('key'));
      return c.json(
        project.issueTypeIds.map((id) => {
          const type = findIssueType(id)!;
          return {
            self: `${deps.render.api}/issuetype/${type.id}`,
            id: type.id,
            name: type.name,
            subtask: type.subtask,
            statuses: STATUSES.map((s) => deps.render.status(s)),
          };
        }),
      );
    });
    app.get(`${prefix}/component/:id`, (c) => {
      const component = deps.store.components.get(c.req.param('id'));
      const project = component ? deps.store.projects.get(component.projectId) : undefined;
      if (
        !component ||
        !project ||
        !deps.service.can(deps.service.requireUser(c.get('user')), 'BROWSE_PROJECTS', project)
      )
        throw notFound(`The component with id ${c.req.param('id')} does not exist.`);
      return c.json({
        ...deps.render.component(component),
        project: project.key,
        projectId: Number(project.id),
      });
    });

    app.get(`${prefix}/issuetype`, (c) => {
      deps.service.requireUser(c.get('user'));
      return c.json(ISSUE_TYPES.map((t) => deps.render.issueType(t)));
    });
    app.get(`${prefix}/issuetype/:id`, (c) => {
      const type = findIssueType(c.req.param('id'));
      if (!type) throw notFound(`The issue type with id '${c.req.param('id')}' does not exist`);
      return c.json(deps.render.issueType(type));
    });
    app.get(`${prefix}/status`, (c) => c.json(STATUSES.map((s) => deps.render.status(s))));
    app.get(`${prefix}/status/:id`, (c) => {
      const status = STATUSES.find((s) => s.id === c.req.param('id') || s.name === c.req.param('id'));
      if (!status) throw notFound(`The status with id '${c.req.param('id')}' does not exist`);
      return c.json(deps.render.status(status));
    });
    app.get(`${prefix}/statuscategory`, (c) =>
      c.json(
        Object.entries(STATUS_CATEGORIES).map(([key, cat]) => ({
          self: `${deps.render.api}/statuscategory/${cat.id}`,
          id: cat.id,
          key,
          colorName: cat.colorName,
          name: cat.name,
        })),
      ),
    );
    app.get(`${prefix}/priority`, (c) => c.json(PRIORITIES.map((p) => deps.render.priority(p.id))));
    app.get(`${prefix}/resolution`, (c) => c.json(RESOLUTIONS.map((r) => deps.render.resolution(r.id))));
    app.get(`${prefix}/field`, (c) => {
      deps.service.requireUser(c.get('user'));
      return c.json(FIELD_DEFS.map((f) => ({ ...f, custom: false, key: f.id })));
    });
    app.get(`${prefix}/issueLinkType`, (c) => {
      deps.service.requireUser(c.get('user'));
      return c.json({ issueLinkTypes: LINK_TYPES.map((t) => deps.render.linkType(t.id)) });
    });
    app.get(`${prefix}/issueLinkType/:id`, (c) => {
      const t = LINK_TYPES.find((l) => l.id === c.req.param('id'));
      if (!t) throw notFound(`No issue link type with id '${c.req.param('id')}' exists.`);
      return c.json(deps.render.linkType(t.id));
    });
  }
}
