/** Issues: create/get/edit/delete, assignee, createmeta, transitions, comments, attachments, links. */
import { findIssueType, findStatus, PRIORITIES, RESOLUTIONS, type IssueTypeDef } from '../catalog.js';
import { JiraError, notFound } from '../errors.js';
import type { Project } from '../model.js';
import type { ApiVersion, JsonObject } from '../render.js';
import { type App, type Ctx, apiPrefixes, intParam, type RouteDeps, readJson, splitList } from './common.js';

type FieldMeta = JsonObject & { fieldId: string };

export function registerIssueRoutes(app: App, deps: RouteDeps): void {
  const { ctx } = deps;

  /** The create screen of an issue type, as createmeta describes it. */
  const createFields = (project: Project, type: IssueTypeDef): FieldMeta[] => {
    const meta = (
      fieldId: string,
      name: string,
      schema: JsonObject,
      operations: string[],
      extra: JsonObject = {},
      required = false,
    ): FieldMeta => ({
      required: required || type.requiredFields.includes(fieldId),
      schema,
      name,
      fieldId,
      key: fieldId,
      hasDefaultValue: false,
      operations,
      ...extra,
    });
    const versions = project.versions.filter((v) => !v.archived).map((v) => deps.render.version(v));
    const fields: FieldMeta[] = [
      meta('summary', 'Summary', { type: 'string', system: 'summary' }, ['set'], {}, true),
      meta(
        'issuetype',
        'Issue Type',
        { type: 'issuetype', system: 'issuetype' },
        [],
        { allowedValues: [deps.render.issueType(type)] },
        true,
      ),
      meta(
        'project',
        'Project',
        { type: 'project', system: 'project' },
        ['set'],
        { allowedValues: [deps.render.projectRef(project)] },
        true,
      ),
      meta('description', 'Description', { type: 'string', system: 'description' }, ['set']),
      meta('priority', 'Priority', { type: 'priority', system: 'priority' }, ['set'], {
        allowedValues: PRIORITIES.map((p) => deps.render.priority(p.id)),
        hasDefaultValue: true,
        defaultValue: deps.render.priority('3'),
      }),
      meta(
        'labels',
        'Labels',
        { type: 'array', items: 'string', system: 'labels' },
        ['add', 'set', 'remove'],
        {
          autoCompleteUrl: `${deps.render.api}/label/suggest?query=`,
        },
      ),
      meta(
        'components',
        'Component/s',
        { type: 'array', items: 'component', system: 'components' },
        ['add', 'set', 'remove'],
        {
          allowedValues: project.components.map((x) => deps.render.component(x)),
        },
      ),
      meta(
        'fixVersions',
        'Fix Version/s',
        { type: 'array', items: 'version', system: 'fixVersions' },
        ['set', 'add', 'remove'],
        {
          allowedValues: versions,
        },
      ),
      meta(
        'versions',
        'Affects Version/s',
        { type: 'array', items: 'version', system: 'versions' },
        ['set', 'add', 'remove'],
        {
          allowedValues: versions,
        },
      ),
      meta('assignee', 'Assignee', { type: 'user', system: 'assignee' }, ['set'], {
        autoCompleteUrl: `${deps.render.api}/user/assignable/search?project=${project.key}&username=`,
      }),
      meta(
        'reporter',
        'Reporter',
        { type: 'user', system: 'reporter' },
        ['set'],
        {
          autoCompleteUrl: `${deps.render.api}/user/search?username=`,
          hasDefaultValue: true,
        },
        true,
      ),
      meta('duedate', 'Due Date', { type: 'date', system: 'duedate' }, ['set']),
      meta('environment', 'Environment', { type: 'string', system: 'environment' }, ['set']),
    ];
    if (type.subtask || type.hierarchyLevel === 0) {
      fields.push(
        meta('parent', 'Parent', { type: 'issuelink', system: 'parent' }, ['set'], {}, type.subtask),
      );
    }
    return fields;
  };

  const createMetaAllowed = (c: Ctx, project: Project) =>
    deps.service.can(c.get('user'), 'CREATE_ISSUES', project);

  for (const { prefix, version } of apiPrefixes(ctx)) {
    const v: ApiVersion = version;

    // --- createmeta -------------------------------------------------------------------
    // The old form was removed in Jira 9 (Data Center); Server 8.x and Cloud still answer it.
    if (ctx.flavor === 'server' || ctx.flavor === 'cloud') {
      app.get(`${prefix}/issue/createmeta`, (c) => {
        const user = deps.service.requireUser(c.get('user'));
        const keys = new Set(splitList(c.req.queries('projectKeys')).map((k) => k.toUpperCase()));
        const ids = new Set(splitList(c.req.queries('projectIds')));
        const typeIds = new Set(splitList(c.req.queries('issuetypeIds')));
        const typeNames = new Set(splitList(c.req.queries('issuetypeNames')));
        const expand = splitList(c.req.queries('expand'));
        const withFields = expand.includes('projects.issuetypes.fields');
        const projects = deps.service
          .visibleProjects(user)
          .filter((p) => (keys.size === 0 && ids.size === 0) || keys.has(p.key) || ids.has(p.id))
          .filter((p) => createMetaAllowed(c, p));
        return c.json({
          expand: 'projects',
          projects: projects.map((p) => ({
            expand: 'issuetypes',
            ...deps.render.projectRef(p),
            issuetypes: p.issueTypeIds
              .map((id) => findIssueType(id)!)
              .filter(
                (t) =>
                  (typeIds.size === 0 && typeNames.size === 0) || typeIds.has(t.id) || typeNames.has(t.name),
              )
              .map((t) => ({
                ...deps.render.issueType(t),
                expand: 'fields',
                ...(withFields
                  ? {
                      fields: Object.fromEntries(
                        createFields(p, t).map((f) => [f.fieldId, withoutFieldId(f)]),
                      ),
                    }
                  : {}),
              })),
          })),
        });
      });
    }
    app.get(`${prefix}/issue/createmeta/:project/issuetypes`, (c) => {
      const project = deps.service.project(c.get('user'), c.req.param('project'));
      const types = createMetaAllowed(c, project)
        ? project.issueTypeIds.map((id) => deps.render.issueType(findIssueType(id)!))
        : [];
      const startAt = intParam(c, 'startAt', 0);
      const maxResults = Math.min(intParam(c, 'maxResults', 50), 200);
      const values = types.slice(startAt, startAt + maxResults);
      if (ctx.flavor === 'cloud')
        return c.json({ maxResults, startAt, total: types.length, issueTypes: values });
      return c.json({
        maxResults,
        startAt,
        total: types.length,
        isLast: startAt + values.length >= types.length,
        values,
      });
    });
    app.get(`${prefix}/issue/createmeta/:project/issuetypes/:typeId`, (c) => {
      const project = deps.service.project(c.get('user'), c.req.param('project'));
      const type = findIssueType(c.req.param('typeId'));
      if (!type || type.id !== c.req.param('typeId') || !project.issueTypeIds.includes(type.id))
        throw notFound(
          `Issue type with id '${c.req.param('typeId')}' does not exist or is not available in this project.`,
        );
      const fields = createMetaAllowed(c, project) ? createFields(project, type) : [];
      const startAt = intParam(c, 'startAt', 0);
      const maxResults = Math.min(intParam(c, 'maxResults', 50), 200);
      const values = fields.slice(startAt, startAt + maxResults);
      if (ctx.flavor === 'cloud')
        return c.json({ maxResults, startAt, total: fields.length, fields: values });
      return c.json({
        maxResults,
        startAt,
        total: fields.length,
        isLast: startAt + values.length >= fields.length,
        values,
      });
    });

    // --- issues -----------------------------------------------------------------------
    app.post(`${prefix}/issue`, async (c) => {
      const issue = deps.service.createIssue(c.get('user'), await readJson(c), v);
      return c.json(
        { id: issue.id, key: issue.key, self: `${ctx.baseUrl}/rest/api/${v}/issue/${issue.id}` },
        201,
      );
    });
    app.get(`${prefix}/issue/:key`, (c) => {
      const issue = deps.service.issue(c.get('user'), c.req.param('key'));
      const fields = c.req.queries('fields');
      const expand = new Set(splitList(c.req.queries('expand')));
      return c.json(deps.render.issue(issue, { fields, expand, apiVersion: v }));
    });
    app.put(`${prefix}/issue/:key`, async (c) => {
      deps.service.editIssue(c.get('user'), c.req.param('key'), await readJson(c), v);
      return c.body(null, 204);
    });
    app.delete(`${prefix}/issue/:key`, (c) => {
      deps.service.deleteIssue(c.get('user'), c.req.param('key'), c.req.query('deleteSubtasks') === 'true');
      return c.body(null, 204);
    });
    app.put(`${prefix}/issue/:key/assignee`, async (c) => {
      const body = await readJson(c);
      const ref = body.accountId ?? body.name ?? body.key;
      deps.service.assign(c.get('user'), c.req.param('key'), ref === null || ref === undefined ? null : body);
      return c.body(null, 204);
    });
    app.get(`${prefix}/issue/:key/changelog`, (c) => {
      const issue = deps.service.issue(c.get('user'), c.req.param('key'));
      const startAt = intParam(c, 'startAt', 0);
      const maxResults = Math.min(intParam(c, 'maxResults', 100), 100);
      const values = issue.changelog
        .slice(startAt, startAt + maxResults)
        .map((g) => deps.render.changeGroup(g));
      return c.json({
        self: `${deps.render.api}/issue/${issue.key}/changelog?maxResults=${maxResults}&startAt=${startAt}`,
        maxResults,
        startAt,
        total: issue.changelog.length,
        isLast: startAt + values.length >= issue.changelog.length,
        values,
      });
    });

    // --- transitions ------------------------------------------------------------------
    app.get(`${prefix}/issue/:key/transitions`, (c) => {
      const issue = deps.service.issue(c.get('user'), c.req.param('key'));
      const withFields = splitList(c.req.queries('expand')).includes('transitions.fields');
      const only = c.req.query('transitionId');
      const transitions = deps.service
        .transitionsFor(c.get('user'), issue)
        .filter((t) => !only || t.id === only)
        .map((t) => {
          const to = findStatus(t.to)!;
          const out: JsonObject = {
            id: t.id,
            name: t.name,
            to: deps.render.status(to),
            hasScreen: false,
            isGlobal: true,
            isInitial: false,
            isAvailable: true,
            isConditional: false,
            isLooped: false,
          };
          if (withFields) {
            out.fields =
              to.category === 'done'
                ? {
                    resolution: {
                      required: false,
                      schema: { type: 'resolution', system: 'resolution' },
                      name: 'Resolution',
                      fieldId: 'resolution',
                      key: 'resolution',
                      hasDefaultValue: true,
                      operations: ['set'],
                      allowedValues: RESOLUTIONS.map((r) => deps.render.resolution(r.id)),
                    },
                  }
                : {};
          }
          return out;
        });
      return c.json({ expand: 'transitions', transitions });
    });
    app.post(`${prefix}/issue/:key/transitions`, async (c) => {
      deps.service.transition(c.get('user'), c.req.param('key'), await readJson(c), v);
      return c.body(null, 204);
    });

    // --- comments ---------------------------------------------------------------------
    app.get(`${prefix}/issue/:key/comment`, (c) => {
      const issue = deps.service.issue(c.get('user'), c.req.param('key'));
      const startAt = intParam(c, 'startAt', 0);
      const maxResults = Math.min(intParam(c, 'maxResults', 5000), 5000);
      const ordered = c.req.query('orderBy') === '-created' ? [...issue.comments].reverse() : issue.comments;
      return c.json({
        startAt,
        maxResults,
        total: issue.comments.length,
        comments: ordered.slice(startAt, startAt + maxResults).map((x) => deps.render.comment(x, v)),
      });
    });
    app.post(`${prefix}/issue/:key/comment`, async (c) => {
      const comment = deps.service.addComment(c.get('user'), c.req.param('key'), await readJson(c), v);
      return c.json(deps.render.comment(comment, v), 201);
    });
    app.get(`${prefix}/issue/:key/comment/:id`, (c) => {
      const { comment } = deps.service.comment(c.get('user'), c.req.param('key'), c.req.param('id'));
      return c.json(deps.render.comment(comment, v));
    });
    app.put(`${prefix}/issue/:key/comment/:id`, async (c) => {
      const comment = deps.service.updateComment(
        c.get('user'),
        c.req.param('key'),
        c.req.param('id'),
        await readJson(c),
        v,
      );
      return c.json(deps.render.comment(comment, v));
    });
    app.delete(`${prefix}/issue/:key/comment/:id`, (c) => {
      deps.service.deleteComment(c.get('user'), c.req.param('key'), c.req.param('id'));
      return c.body(null, 204);
    });

    // --- attachments ------------------------------------------------------------------
    app.post(`${prefix}/issue/:key/attachments`, async (c) => {
      const token = (c.req.header('x-atlassian-token') ?? '').toLowerCase();
      if (token !== 'no-check' && token !== 'nocheck') return c.text('XSRF check failed', 403);
      // Authentication and the issue come first, so a bad upload never hides a 401/404.
      const issue = deps.service.issue(c.get('user'), c.req.param('key'));
      if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
        throw new JiraError(415, [
          'Attachments must be sent as multipart/form-data with a part named "file".',
        ]);
      }
      let form: Record<string, unknown>;
      try {
        form = await c.req.parseBody({ all: true });
      } catch {
        throw new JiraError(400, ['The multipart request body could not be read.']);
      }
      const raw = form.file;
      const parts = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
        (p): p is File => p instanceof File,
      );
      if (parts.length === 0)
        throw new JiraError(400, ['No file was attached: send it in a multipart part named "file".']);
      const files = await Promise.all(
        parts.map(async (p) => ({
          filename: p.name || 'attachment',
          mimeType: p.type || 'application/octet-stream',
          content: new Uint8Array(await p.arrayBuffer()),
        })),
      );
      const created = deps.service.addAttachments(c.get('user'), issue.id, files);
      return c.json(created.map((a) => deps.render.attachment(a)));
    });
    app.get(`${prefix}/attachment/meta`, (c) => c.json({ enabled: true, uploadLimit: 10_485_760 }));
    app.get(`${prefix}/attachment/:id`, (c) =>
      c.json(deps.render.attachment(deps.service.attachment(c.get('user'), c.req.param('id')))),
    );
    app.delete(`${prefix}/attachment/:id`, (c) => {
      deps.service.deleteAttachment(c.get('user'), c.req.param('id'));
      return c.body(null, 204);
    });
    app.get(`${prefix}/attachment/content/:id`, (c) => {
      const a = deps.service.attachment(c.get('user'), c.req.param('id'));
      return c.body(a.content.slice().buffer as ArrayBuffer, 200, { 'Content-Type': a.mimeType });
    });

    // --- links ------------------------------------------------------------------------
    app.post(`${prefix}/issueLink`, async (c) => {
      deps.service.createLink(c.get('user'), await readJson(c));
      return c.body(null, 201);
    });
    app.get(`${prefix}/issueLink/:id`, (c) => {
      const link = deps.service.link(c.get('user'), c.req.param('id'));
      return c.json({
        id: link.id,
        self: `${deps.render.api}/issueLink/${link.id}`,
        type: deps.render.linkType(link.typeId),
        inwardIssue: deps.render.issueRef(deps.store.issues.get(link.inwardId)!),
        outwardIssue: deps.render.issueRef(deps.store.issues.get(link.outwardId)!),
      });
    });
    app.delete(`${prefix}/issueLink/:id`, (c) => {
      deps.service.deleteLink(c.get('user'), c.req.param('id'));
      return c.body(null, 204);
    });
  }

  app.get('/secure/attachment/:id/:filename', (c) => {
    const a = deps.service.attachment(c.get('user'), c.req.param('id'));
    return c.body(a.content.slice().buffer as ArrayBuffer, 200, {
      'Content-Type': a.mimeType,
      'Content-Disposition': `attachment; filename="${a.filename.replace(/["\\\r\n]/g, '_')}"`,
    });
  });
}

function withoutFieldId(field: FieldMeta): JsonObject {
  const { fieldId: _fieldId, ...rest } = field;
  return rest;
}
