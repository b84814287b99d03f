import { describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from './testing.js';

type J = Record<string, unknown>;
type Issue = {
  id: string;
  key: string;
  self: string;
  fields: J;
  changelog?: { histories: { items: J[] }[] };
};

async function createIssue(t: TestApp, fields: J, as = 'admin', prefix = '/rest/api/2') {
  return t.call<J>(`${prefix}/issue`, { json: { fields }, as });
}

const task = (extra: J = {}) => ({
  project: { key: 'DEMO' },
  issuetype: { name: 'Task' },
  summary: 'Write tests',
  ...extra,
});

describe('issue create and read', () => {
  it('creates an issue and returns it with every field in Jira format', async () => {
    const t = makeTestApp('server');
    const created = await createIssue(
      t,
      task({
        description: 'Steps\nto reproduce',
        labels: ['ui', 'regression'],
        priority: { name: 'High' },
        components: [{ name: 'Backend' }],
        fixVersions: [{ name: '2.0' }],
        versions: [{ id: '10000' }],
        assignee: { name: 'developer' },
        duedate: '2026-12-24',
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: '10000',
      key: 'DEMO-1',
      self: 'https://jira.example.com/jira/rest/api/2/issue/10000',
    });
    const got = await t.call<Issue>('/rest/api/2/issue/DEMO-1');
    const f = got.body.fields;
    expect(f).toMatchObject({
      summary: 'Write tests',
      description: 'Steps\nto reproduce',
      issuetype: { id: '3', name: 'Task', subtask: false },
      project: { key: 'DEMO', id: '10000' },
      status: { name: 'To Do', statusCategory: { key: 'new' } },
      priority: { id: '2', name: 'High' },
      labels: ['ui', 'regression'],
      components: [{ name: 'Backend' }],
      fixVersions: [{ name: '2.0' }],
      versions: [{ name: '1.0' }],
      assignee: { name: 'developer' },
      reporter: { name: 'admin' },
      creator: { name: 'admin' },
      resolution: null,
      duedate: '2026-12-24',
      created: '2026-11-29T04:00:00.000+0000',
      updated: '2026-11-29T04:00:00.000+0000',
    });
    expect(f.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    // By id as well as key; the `fields` parameter narrows the answer.
    const narrow = await t.call<Issue>('/rest/api/2/issue/10000?fields=summary,status');
    expect(Object.keys(narrow.body.fields).sort()).toEqual(['status', 'summary']);
    const excluded = await t.call<Issue>('/rest/api/2/issue/10000?fields=*all,-comment');
    expect(excluded.body.fields.comment).toBeUndefined();
    expect(excluded.body.fields.summary).toBe('Write tests');
    const expanded = await t.call<Issue & { renderedFields: J }>(
      '/rest/api/2/issue/DEMO-1?expand=changelog,renderedFields',
    );
    expect(expanded.body.changelog).toMatchObject({ total: 0, histories: [] });
    expect(expanded.body.renderedFields.description).toContain('Steps');
  });

  it('reports missing and invalid fields per field, as Jira does', async () => {
    const t = makeTestApp('server');
    const empty = await t.call('/rest/api/2/issue', { json: { fields: {} } });
    expect(empty).toEqual({
      status: 400,
      body: { errorMessages: [], errors: { project: 'Specify a valid project ID or key' } },
    });
    const bad = await createIssue(t, {
      project: { key: 'DEMO' },
      issuetype: { name: 'Nonsense' },
      labels: ['has space'],
      priority: { id: '99' },
      fixVersions: [{ name: '9.9' }],
      customfield_10001: 'x',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual({
      issuetype: 'The issue type selected is invalid.',
      summary: 'You must specify a summary of the issue.',
      labels: "The label 'has space' contains spaces which is invalid.",
      priority: 'The priority selected is invalid.',
      fixVersions: "Version name '9.9' is not valid",
      customfield_10001:
        "Field 'customfield_10001' cannot be set. It is not on the appropriate screen, or unknown.",
    });
    // Bug requires a description on its create screen (createmeta says so too).
    const bug = await createIssue(t, {
      project: { key: 'DEMO' },
      issuetype: { name: 'Bug' },
      summary: 'Crash',
    });
    expect(bug.body).toEqual({ errorMessages: [], errors: { description: 'Description is required.' } });
    const sub = await createIssue(t, {
      project: { key: 'DEMO' },
      issuetype: { name: 'Sub-task' },
      summary: 'Part',
    });
    expect(sub.body.errors).toEqual({ parent: 'Sub-tasks must have a parent issue.' });
    expect(
      (
        await t.call('/rest/api/2/issue', {
          method: 'POST',
          body: 'not json',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(400);
  });

  it('enforces permissions: create, browse, edit, assignable users', async () => {
    const t = makeTestApp('server');
    await createIssue(t, task());
    expect((await createIssue(t, task(), 'viewer')).body).toEqual({
      errorMessages: [],
      errors: { project: 'You do not have permission to create issues in this project.' },
    });
    expect(await t.call('/rest/api/2/issue/DEMO-1', { as: 'nobody' })).toEqual({
      status: 404,
      body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} },
    });
    expect(
      await t.call('/rest/api/2/issue/DEMO-1', {
        method: 'PUT',
        json: { fields: { summary: 'x' } },
        as: 'viewer',
      }),
    ).toEqual({
      status: 403,
      body: { errorMessages: ['You do not have permission to edit issues in this project.'], errors: {} },
    });
    const cannotAssign = await t.call('/rest/api/2/issue/DEMO-1', {
      method: 'PUT',
      json: { fields: { assignee: { name: 'viewer' } } },
    });
    expect(cannotAssign.body).toEqual({
      errorMessages: [],
      errors: { assignee: "User 'viewer' cannot be assigned issues." },
    });
    expect((await t.call('/rest/api/2/issue/DEMO-1', { as: null })).status).toBe(401);
  });
});

describe('issue edit, assign, delete, move', () => {
  it('edits with fields and update operations and records a changelog', async () => {
    const t = makeTestApp('server');
    await createIssue(t, task({ labels: ['a'], components: [{ name: 'Backend' }] }));
    t.ctx.clock.advance(60_000);
    const edit = await t.request('/rest/api/2/issue/DEMO-1', {
      method: 'PUT',
      json: {
        fields: { summary: 'Renamed', priority: { name: 'Low' } },
        update: {
          labels: [{ add: 'b' }, { remove: 'a' }],
          components: [{ add: { name: 'API' } }, { remove: { name: 'Backend' } }],
          fixVersions: [{ set: [{ name: '1.1' }] }],
          comment: [{ add: { body: 'edited' } }],
        },
      },
    });
    expect(edit.status).toBe(204);
    const got = await t.call<Issue>('/rest/api/2/issue/DEMO-1?expand=changelog');
    expect(got.body.fields).toMatchObject({
      summary: 'Renamed',
      priority: { name: 'Low' },
      labels: ['b'],
      components: [{ name: 'API' }],
      fixVersions: [{ name: '1.1' }],
      updated: '2026-11-29T04:01:00.000+0000',
      comment: { total: 1, comments: [{ body: 'edited' }] },
    });
    const items = got.body.changelog!.histories[0]!.items;
    expect(items).toEqual(
      expect.arrayContaining([
        {
          field: 'summary',
          fieldtype: 'jira',
          fieldId: 'summary',
          from: null,
          fromString: 'Write tests',
          to: null,
          toString: 'Renamed',
        },
        {
          field: 'priority',
          fieldtype: 'jira',
          fieldId: 'priority',
          from: '3',
          fromString: 'Medium',
          to: '4',
          toString: 'Low',
        },
        {
          field: 'labels',
          fieldtype: 'jira',
          fieldId: 'labels',
          from: null,
          fromString: 'a',
          to: null,
          toString: 'b',
        },
        expect.objectContaining({
          field: 'Component',
          fieldId: 'components',
          to: expect.any(String),
          toString: 'API',
        }),
        expect.objectContaining({
          field: 'Component',
          fieldId: 'components',
          fromString: 'Backend',
          to: null,
        }),
        expect.objectContaining({ field: 'Fix Version', fieldId: 'fixVersions', toString: '1.1' }),
      ]),
    );
  });

  it('assigns through /assignee, deletes with deleteSubtasks, and moves between projects keeping the id', async () => {
    const t = makeTestApp('server');
    await createIssue(t, task());
    expect(
      (await t.request('/rest/api/2/issue/DEMO-1/assignee', { method: 'PUT', json: { name: 'developer' } }))
        .status,
    ).toBe(204);
    expect((await t.call<Issue>('/rest/api/2/issue/DEMO-1')).body.fields.assignee).toMatchObject({
      name: 'developer',
    });
    expect(
      (await t.request('/rest/api/2/issue/DEMO-1/assignee', { method: 'PUT', json: { name: null } })).status,
    ).toBe(204);
    expect((await t.call<Issue>('/rest/api/2/issue/DEMO-1')).body.fields.assignee).toBeNull();

    await createIssue(t, {
      project: { key: 'DEMO' },
      issuetype: { name: 'Sub-task' },
      summary: 'child',
      parent: { key: 'DEMO-1' },
    });
    const parent = await t.call<Issue>('/rest/api/2/issue/DEMO-1');
    expect(parent.body.fields.subtasks).toMatchObject([{ key: 'DEMO-2' }]);
    const refused = await t.call('/rest/api/2/issue/DEMO-1', { method: 'DELETE' });
    expect(refused.status).toBe(400);
    expect(
      (await t.request('/rest/api/2/issue/DEMO-1?deleteSubtasks=true', { method: 'DELETE', as: 'viewer' }))
        .status,
    ).toBe(403);
    expect(
      (await t.request('/rest/api/2/issue/DEMO-1?deleteSubtasks=true', { method: 'DELETE' })).status,
    ).toBe(204);
    expect((await t.request('/rest/api/2/issue/DEMO-2')).status).toBe(404);

    await createIssue(t, task({ fixVersions: [{ name: '1.0' }] }));
    const moved = await t.call<J>('/rest/sim/1.0/issues/DEMO-3/move', {
      json: { projectKey: 'SIM', issueTypeId: '1' },
    });
    expect(moved.body).toMatchObject({ id: '10002', key: 'SIM-1' });
    const after = await t.call<Issue & { changelog: { histories: { items: J[] }[] } }>(
      '/rest/api/2/issue/DEMO-3?expand=changelog',
    );
    expect(after.body).toMatchObject({
      id: '10002',
      key: 'SIM-1',
      fields: { project: { key: 'SIM' }, issuetype: { name: 'Bug' }, fixVersions: [] },
    });
    expect(after.body.changelog.histories.at(-1)!.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'Key', fromString: 'DEMO-3', toString: 'SIM-1' }),
        expect.objectContaining({ field: 'project', from: '10000', to: '10001' }),
        expect.objectContaining({ field: 'issuetype', toString: 'Bug' }),
      ]),
    );
  });
});

describe('createmeta', () => {
  it('old style on Server 8 with required fields; gone on DC 9', async () => {
    const t = makeTestApp('server');
    const meta = await t.call<{
      projects: { key: string; issuetypes: { name: string; fields: Record<string, J> }[] }[];
    }>('/rest/api/2/issue/createmeta?projectKeys=DEMO&issuetypeNames=Bug&expand=projects.issuetypes.fields');
    expect(meta.body.projects).toHaveLength(1);
    const bug = meta.body.projects[0]!.issuetypes[0]!;
    expect(bug.name).toBe('Bug');
    expect(bug.fields.summary).toMatchObject({
      required: true,
      name: 'Summary',
      key: 'summary',
      operations: ['set'],
    });
    expect(bug.fields.description).toMatchObject({ required: true });
    expect(bug.fields.priority).toMatchObject({ required: false, hasDefaultValue: true });
    expect((bug.fields.fixVersions!.allowedValues as J[]).map((v) => v.name)).toEqual(['1.0', '1.1', '2.0']);
    const none = await t.call<{ projects: unknown[] }>('/rest/api/2/issue/createmeta?projectKeys=DEMO', {
      as: 'viewer',
    });
    expect(none.body.projects).toEqual([]);
    expect((await makeTestApp('dc9').request('/rest/api/2/issue/createmeta?projectKeys=DEMO')).status).toBe(
      404,
    );
  });

  it('new style: DC answers `values`, Cloud `issueTypes` / `fields`', async () => {
    const dc = makeTestApp('dc10');
    const types = await dc.call<{ values: J[]; total: number; isLast: boolean }>(
      '/rest/api/2/issue/createmeta/DEMO/issuetypes',
    );
    expect(types.body.values.map((v) => v.name)).toEqual(['Epic', 'Story', 'Task', 'Bug', 'Sub-task']);
    expect(types.body).toMatchObject({ total: 5, isLast: true });
    const fields = await dc.call<{ values: J[] }>('/rest/api/2/issue/createmeta/DEMO/issuetypes/5');
    expect(fields.body.values.find((f) => f.fieldId === 'parent')).toMatchObject({ required: true });
    expect((await dc.request('/rest/api/2/issue/createmeta/DEMO/issuetypes/777')).status).toBe(404);
    const cloud = makeTestApp('cloud');
    expect(
      (await cloud.call<{ issueTypes: J[] }>('/rest/api/3/issue/createmeta/DEMO/issuetypes')).body.issueTypes,
    ).toHaveLength(5);
    const cf = await cloud.call<{ fields: J[] }>('/rest/api/3/issue/createmeta/DEMO/issuetypes/1');
    expect(cf.body.fields.filter((f) => f.required).map((f) => f.fieldId)).toEqual([
      'summary',
      'issuetype',
      'project',
      'description',
      'reporter',
    ]);
  });
});

describe('transitions', () => {
  it('walks To Do -> In Progress -> Done with a resolution, and back', async () => {
    const t = makeTestApp('server');
    await createIssue(t, task());
    const list = await t.call<{ transitions: J[] }>(
      '/rest/api/2/issue/DEMO-1/transitions?expand=transitions.fields',
    );
    expect(list.body.transitions.map((x) => x.name)).toEqual(['In Progress', 'Done']);
    expect(list.body.transitions[1]).toMatchObject({
      id: '31',
      to: { name: 'Done' },
      fields: { resolution: { required: false } },
    });
    expect(
      (await t.request('/rest/api/2/issue/DEMO-1/transitions', { json: { transition: { id: '21' } } }))
        .status,
    ).toBe(204);
    t.ctx.clock.advance(1000);
    await t.request('/rest/api/2/issue/DEMO-1/transitions', {
      json: {
        transition: { id: '31' },
        fields: { resolution: { name: "Won't Do" } },
        update: { comment: [{ add: { body: 'closing' } }] },
      },
    });
    const done = await t.call<Issue>('/rest/api/2/issue/DEMO-1');
    expect(done.body.fields).toMatchObject({
      status: { name: 'Done', statusCategory: { key: 'done' } },
      resolution: { name: "Won't Do" },
      resolutiondate: '2026-11-29T04:00:01.000+0000',
      comment: { total: 1 },
    });
    const invalid = await t.call('/rest/api/2/issue/DEMO-1/transitions', {
      json: { transition: { id: '31' } },
    });
    expect(invalid).toEqual({
      status: 400,
      body: { errorMessages: ["Transition id '31' is not valid for this issue."], errors: {} },
    });
    await t.request('/rest/api/2/issue/DEMO-1/transitions', { json: { transition: { id: '11' } } });
    expect((await t.call<Issue>('/rest/api/2/issue/DEMO-1')).body.fields).toMatchObject({
      resolution: null,
      resolutiondate: null,
    });
    expect(
      (await t.call<{ transitions: J[] }>('/rest/api/2/issue/DEMO-1/transitions', { as: 'viewer' })).body
        .transitions,
    ).toEqual([]);
    expect(
      (
        await t.request('/rest/api/2/issue/DEMO-1/transitions', {
          json: { transition: { id: '21' } },
          as: 'viewer',
        })
      ).status,
    ).toBe(403);
  });
});

describe('comments, attachments, links', () => {
  it('lists, adds, updates and deletes comments; v3 speaks ADF', async () => {
    const t = makeTestApp('cloud');
    await createIssue(t, task());
    const added = await t.call<J>('/rest/api/2/issue/DEMO-1/comment', { json: { body: 'first' } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ body: 'first', author: { accountId: expect.any(String) } });
    expect((added.body.author as J).name).toBeUndefined();
    const v3 = await t.call<J>('/rest/api/3/issue/DEMO-1/comment', {
      json: {
        body: {
          type: 'doc',
          version: 1,
          content: [{ type: 'paragraph', content: [{ type: 'text', text: 'second' }] }],
        },
      },
    });
    expect(v3.body.body).toMatchObject({
      type: 'doc',
      content: [{ type: 'paragraph', content: [{ text: 'second' }] }],
    });
    const id = String(added.body.id);
    expect(
      (await t.call<J>(`/rest/api/2/issue/DEMO-1/comment/${id}`, { method: 'PUT', json: { body: 'edited' } }))
        .body.body,
    ).toBe('edited');
    const list = await t.call<{ total: number; comments: J[] }>('/rest/api/2/issue/DEMO-1/comment');
    expect(list.body.comments.map((c) => c.body)).toEqual(['edited', 'second']);
    expect((await t.call(`/rest/api/2/issue/DEMO-1/comment`, { json: { body: '' } })).status).toBe(400);
    expect(
      (await t.call(`/rest/api/2/issue/DEMO-1/comment`, { json: { body: 'x' }, as: 'viewer' })).status,
    ).toBe(403);
    expect((await t.request(`/rest/api/2/issue/DEMO-1/comment/${id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await t.request(`/rest/api/2/issue/DEMO-1/comment/${id}`)).status).toBe(404);
    const desc = await t.call<Issue>('/rest/api/3/issue/DEMO-1');
    expect(desc.body.fields.description).toBeNull();
  });

  it('accepts multipart attachments only with X-Atlassian-Token: no-check', async () => {
    const t = makeTestApp('server');
    await createIssue(t, task());
    const form = () => {
      const f = new FormData();
      f.append('file', new Blob([new TextEncoder().encode('log line\n')], { type: 'text/plain' }), 'run.log');
      return f;
    };
    const xsrf = await t.request('/rest/api/2/issue/DEMO-1/attachments', { method: 'POST', body: form() });
    expect(xsrf.status).toBe(403);
    expect(await xsrf.text()).toBe('XSRF check failed');
    const ok = await t.call<J[]>('/rest/api/2/issue/DEMO-1/attachments', {
      method: 'POST',
      body: form(),
      headers: { 'X-Atlassian-Token': 'no-check' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body[0]).toMatchObject({
      filename: 'run.log',
      size: 9,
      mimeType: 'text/plain',
      author: { name: 'admin' },
    });
    const meta = await t.call<J>(`/rest/api/2/attachment/${ok.body[0]!.id}`);
    expect(meta.body.content).toBe(
      `https://jira.example.com/jira/secure/attachment/${ok.body[0]!.id}/run.log`,
    );
    const content = await t.request(`/secure/attachment/${ok.body[0]!.id}/run.log`);
    expect(await content.text()).toBe('log line\n');
    expect((await t.call<Issue>('/rest/api/2/issue/DEMO-1')).body.fields.attachment).toHaveLength(1);
    const noPerm = await t.request('/rest/api/2/issue/DEMO-1/attachments', {
      method: 'POST',
      body: form(),
      headers: { 'X-Atlassian-Token': 'no-check' },
      as: 'viewer',
    });
    expect(noPerm.status).toBe(403);
    const noFile = await t.request('/rest/api/2/issue/DEMO-1/attachments', {
      method: 'POST',
      body: new FormData(),
      headers: { 'X-Atlassian-Token': 'no-check' },
    });
    expect(noFile.status).toBe(400);
    expect((await t.request(`/rest/api/2/attachment/${ok.body[0]!.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
  });

  it('links issues by type name and shows both ends', async () => {
    const t = makeTestApp('server');
    await createIssue(t, task());
    await createIssue(t, task({ summary: 'Other' }));
    const link = await t.request('/rest/api/2/issueLink', {
      json: { type: { name: 'Blocks' }, inwardIssue: { key: 'DEMO-1' }, outwardIssue: { key: 'DEMO-2' } },
    });
    expect(link.status).toBe(201);
    const a = (await t.call<Issue>('/rest/api/2/issue/DEMO-1')).body.fields.issuelinks as J[];
    const b = (await t.call<Issue>('/rest/api/2/issue/DEMO-2')).body.fields.issuelinks as J[];
    expect(a[0]).toMatchObject({ type: { name: 'Blocks' }, outwardIssue: { key: 'DEMO-2' } });
    expect(b[0]).toMatchObject({ type: { name: 'Blocks' }, inwardIssue: { key: 'DEMO-1' } });
    const got = await t.call<J>(`/rest/api/2/issueLink/${a[0]!.id}`);
    expect(got.body).toMatchObject({ inwardIssue: { key: 'DEMO-1' }, outwardIssue: { key: 'DEMO-2' } });
    expect(
      (
        await t.call('/rest/api/2/issueLink', {
          json: { type: { name: 'Nope' }, inwardIssue: { key: 'DEMO-1' }, outwardIssue: { key: 'DEMO-2' } },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await t.call('/rest/api/2/issueLink', {
          json: { type: { name: 'Blocks' }, inwardIssue: { key: 'DEMO-1' }, outwardIssue: { key: 'DEMO-2' } },
          as: 'viewer',
        })
      ).status,
    ).toBe(403);
    expect((await t.request(`/rest/api/2/issueLink/${a[0]!.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.call<Issue>('/rest/api/2/issue/DEMO-1')).body.fields.issuelinks).toEqual([]);
  });
});

describe('Cloud users', () => {
  it('are named by accountId only (GDPR strict mode)', async () => {
    const t = makeTestApp('cloud');
    await createIssue(t, task());
    const byName = await t.call('/rest/api/2/issue/DEMO-1', {
      method: 'PUT',
      json: { fields: { assignee: { name: 'developer' } } },
    });
    expect(byName.status).toBe(400);
    expect(byName.body).toMatchObject({ errors: { assignee: expect.stringContaining('accountId') } });
    const accountId = t.ctx.findUser('developer')!.accountId;
    expect(
      (
        await t.request('/rest/api/2/issue/DEMO-1', {
          method: 'PUT',
          json: { fields: { assignee: { accountId } } },
        })
      ).status,
    ).toBe(204);
    const issue = await t.call<Issue>('/rest/api/3/issue/DEMO-1');
    expect(issue.body.fields.assignee).toMatchObject({ accountId });
    expect((issue.body.fields.assignee as J).name).toBeUndefined();
    expect(
      (await t.request('/rest/api/2/issue/DEMO-1/assignee', { method: 'PUT', json: { accountId: null } }))
        .status,
    ).toBe(204);
  });
});
