import { describe, expect, it } from 'vitest';
import { makeTestApp } from './testing.js';

type J = Record<string, unknown> & { [k: string]: unknown };

describe('projects', () => {
  it('lists, reads and expands projects with Jira shapes', async () => {
    const t = makeTestApp('server');
    const list = await t.call<J[]>('/rest/api/2/project');
    expect(list.status).toBe(200);
    expect(list.body.map((p) => p.key)).toEqual(['DEMO', 'SIM']);
    expect(list.body[0]).toMatchObject({
      self: 'https://jira.example.com/jira/rest/api/2/project/10000',
      id: '10000',
      key: 'DEMO',
      name: 'Demo project',
      projectTypeKey: 'software',
    });
    expect(list.body[0]!.issueTypes).toBeUndefined();
    const expanded = await t.call<J[]>('/rest/api/2/project?expand=issueTypes,lead');
    expect((expanded.body[0]!.issueTypes as J[]).map((x) => x.name)).toEqual([
      'Epic',
      'Story',
      'Task',
      'Bug',
      'Sub-task',
    ]);
    const one = await t.call<J>('/rest/api/2/project/demo');
    expect(one.body).toMatchObject({ key: 'DEMO', lead: { name: 'admin' } });
    expect((one.body.versions as J[]).map((v) => v.name)).toEqual(['1.0', '1.1', '2.0']);
    expect((one.body.components as J[]).map((v) => v.name)).toEqual(['Backend', 'Frontend', 'API']);
    expect((await t.call('/rest/api/2/project/10001')).body).toMatchObject({ key: 'SIM' });
  });

  it('answers unknown or hidden projects with 404 and anonymous callers with 401', async () => {
    const t = makeTestApp('server');
    expect(await t.call('/rest/api/2/project/NOPE')).toEqual({
      status: 404,
      body: { errorMessages: ["No project could be found with key 'NOPE'."], errors: {} },
    });
    expect((await t.call('/rest/api/2/project/DEMO', { as: 'nobody' })).status).toBe(404);
    expect((await t.call<J[]>('/rest/api/2/project', { as: 'nobody' })).body).toEqual([]);
    expect((await t.call('/rest/api/2/project', { as: null })).status).toBe(401);
  });

  it('offers /project/search on Cloud only, paged', async () => {
    const cloud = makeTestApp('cloud');
    const page = await cloud.call<J>('/rest/api/3/project/search?maxResults=1');
    expect(page.body).toMatchObject({ startAt: 0, maxResults: 1, total: 2, isLast: false });
    expect((page.body.values as J[])[0]).toMatchObject({ key: 'DEMO' });
    expect(page.body.nextPage).toContain('startAt=1');
    expect((await makeTestApp('server').request('/rest/api/2/project/search')).status).toBe(404);
  });

  it('creates, updates and deletes projects with admin rights only', async () => {
    const t = makeTestApp('server');
    expect(
      (await t.call('/rest/api/2/project', { json: { key: 'NEW', name: 'New' }, as: 'developer' })).status,
    ).toBe(403);
    const bad = await t.call('/rest/api/2/project', { json: { key: 'lower', name: '' } });
    expect(bad.status).toBe(400);
    expect(Object.keys((bad.body as { errors: J }).errors).sort()).toEqual(['projectKey', 'projectName']);
    expect((await t.call('/rest/api/2/project', { json: { key: 'NEW', name: 'New' } })).status).toBe(201);
    expect((await t.call('/rest/api/2/project', { json: { key: 'NEW', name: 'Again' } })).status).toBe(400);
    const updated = await t.call<J>('/rest/api/2/project/NEW', { method: 'PUT', json: { name: 'Renamed' } });
    expect(updated.body.name).toBe('Renamed');
    expect((await t.request('/rest/api/2/project/NEW', { method: 'DELETE' })).status).toBe(204);
    expect((await t.request('/rest/api/2/project/NEW')).status).toBe(404);
  });

  it('serves Jira metadata: issue types, statuses, priorities, resolutions, fields, link types', async () => {
    const t = makeTestApp('server');
    expect((await t.call<J[]>('/rest/api/2/issuetype')).body.map((x) => x.name)).toContain('Bug');
    expect((await t.call<J[]>('/rest/api/2/status')).body.map((x) => x.name)).toEqual([
      'To Do',
      'In Progress',
      'Done',
    ]);
    expect((await t.call<J[]>('/rest/api/2/priority')).body).toHaveLength(5);
    expect((await t.call<J[]>('/rest/api/2/resolution')).body[0]).toMatchObject({ name: 'Done' });
    const fields = (await t.call<J[]>('/rest/api/2/field')).body;
    expect(fields.find((f) => f.id === 'fixVersions')).toMatchObject({
      clauseNames: ['fixVersion'],
      custom: false,
    });
    const types = (await t.call<{ issueLinkTypes: J[] }>('/rest/api/2/issueLinkType')).body.issueLinkTypes;
    expect(types.find((x) => x.name === 'Blocks')).toMatchObject({
      inward: 'is blocked by',
      outward: 'blocks',
    });
  });
});

describe('versions', () => {
  const create = (t: ReturnType<typeof makeTestApp>, json: J, as = 'admin') =>
    t.call<J>('/rest/api/2/version', { json, as });

  it('creates versions and refuses duplicates, bad dates and missing projects', async () => {
    const t = makeTestApp('server');
    const v = await create(t, {
      name: '3.0',
      projectId: 10000,
      releaseDate: '2027-01-15',
      description: 'Next',
    });
    expect(v.status).toBe(201);
    expect(v.body).toMatchObject({
      name: '3.0',
      released: false,
      archived: false,
      releaseDate: '2027-01-15',
      userReleaseDate: '15/Jan/27',
      overdue: false,
      projectId: 10000,
      description: 'Next',
    });
    expect(v.body.self).toBe(`https://jira.example.com/jira/rest/api/2/version/${v.body.id}`);
    expect((await create(t, { name: '3.0', project: 'DEMO' })).body).toEqual({
      errorMessages: [],
      errors: { name: 'A version with this name already exists in this project.' },
    });
    expect((await create(t, { name: '4.0', project: 'DEMO', releaseDate: '15/01/2027' })).status).toBe(400);
    expect((await create(t, { name: '4.0' })).body).toMatchObject({
      errors: { project: expect.any(String) },
    });
    expect((await create(t, { name: '4.0', project: 'DEMO' }, 'developer')).status).toBe(403);
  });

  it('updates, releases, unreleases, moves, deletes and merges', async () => {
    const t = makeTestApp('server', { seedIssues: 40 });
    const versions = (await t.call<J[]>('/rest/api/2/project/DEMO/versions')).body;
    const [v10, v11, v20] = versions.map((v) => String(v.id));
    const released = await t.call<J>(`/rest/api/2/version/${v20}`, {
      method: 'PUT',
      json: { released: true },
    });
    expect(released.body).toMatchObject({ released: true, releaseDate: '2026-12-29' });
    expect(
      (await t.call<J>(`/rest/api/2/version/${v20}`, { method: 'PUT', json: { released: false } })).body
        .released,
    ).toBe(false);
    expect(
      (await t.call<J>(`/rest/api/2/version/${v20}`, { method: 'PUT', json: { name: '2.0.0' } })).body.name,
    ).toBe('2.0.0');

    const order = async () => (await t.call<J[]>('/rest/api/2/project/DEMO/versions')).body.map((v) => v.id);
    await t.call(`/rest/api/2/version/${v20}/move`, { json: { position: 'First' } });
    expect(await order()).toEqual([v20, v10, v11]);
    await t.call(`/rest/api/2/version/${v20}/move`, {
      json: { after: `https://jira.example.com/jira/rest/api/2/version/${v11}` },
    });
    expect(await order()).toEqual([v10, v11, v20]);
    await t.call(`/rest/api/2/version/${v10}/move`, { json: { position: 'Later' } });
    expect(await order()).toEqual([v11, v10, v20]);
    expect((await t.call(`/rest/api/2/version/${v10}/move`, { json: { position: 'Sideways' } })).status).toBe(
      400,
    );
    expect(await order()).toEqual([v11, v10, v20]);

    const { store } = t.data.deps();
    const fixedIn = (id: string) =>
      [...store.issues.values()].filter((i) => i.fixVersionIds.includes(id)).length;
    const before10 = fixedIn(v10!);
    const before11 = fixedIn(v11!);
    expect(before10).toBeGreaterThan(0);
    const counts = await t.call<J>(`/rest/api/2/version/${v10}/relatedIssueCounts`);
    expect(counts.body.issuesFixedCount).toBe(before10);
    expect(
      (await t.request(`/rest/api/2/version/${v10}?moveFixIssuesTo=${v11}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect(fixedIn(v11!)).toBe(before10 + before11);
    expect((await t.request(`/rest/api/2/version/${v10}`)).status).toBe(404);

    const before20 = fixedIn(v20!);
    expect((await t.request(`/rest/api/2/version/${v11}/mergeto/${v20}`, { method: 'PUT' })).status).toBe(
      204,
    );
    expect(fixedIn(v20!)).toBe(before20 + before10 + before11);
    expect(await order()).toEqual([v20]);
    expect((await t.request(`/rest/api/2/version/${v20}/mergeto/99999`, { method: 'PUT' })).status).toBe(404);
  });

  it('pages versions on /project/{key}/version with status filter', async () => {
    const t = makeTestApp('dc9');
    const page = await t.call<J>('/rest/api/2/project/DEMO/version?status=released&maxResults=1');
    expect(page.body).toMatchObject({ total: 2, maxResults: 1, isLast: false });
  });
});

describe('smaller read routes', () => {
  it('answers single metadata items, components, statuses, changelog pages and attachment content', async () => {
    const t = makeTestApp('cloud');
    expect((await t.call<J>('/rest/api/2/issuetype/1')).body).toMatchObject({ name: 'Bug', subtask: false });
    expect((await t.request('/rest/api/2/issuetype/999')).status).toBe(404);
    expect((await t.call<J>('/rest/api/2/status/3')).body).toMatchObject({
      name: 'In Progress',
      statusCategory: { key: 'indeterminate' },
    });
    expect((await t.call<J[]>('/rest/api/2/statuscategory')).body.map((c) => c.key)).toEqual([
      'new',
      'indeterminate',
      'done',
    ]);
    expect((await t.call<J>('/rest/api/2/issueLinkType/10003')).body).toMatchObject({ name: 'Relates' });
    const components = (await t.call<J[]>('/rest/api/2/project/DEMO/components')).body;
    expect(components.map((c) => c.name)).toEqual(['Backend', 'Frontend', 'API']);
    expect((await t.call<J>(`/rest/api/2/component/${components[0]!.id}`)).body).toMatchObject({
      name: 'Backend',
      project: 'DEMO',
    });
    expect((await t.request(`/rest/api/2/component/${components[0]!.id}`, { as: 'nobody' })).status).toBe(
      404,
    );
    const statuses = (await t.call<{ name: string; statuses: J[] }[]>('/rest/api/2/project/DEMO/statuses'))
      .body;
    expect(statuses.find((s) => s.name === 'Task')!.statuses).toHaveLength(3);

    await t.call('/rest/api/2/issue', {
      json: { fields: { project: { key: 'DEMO' }, issuetype: { name: 'Task' }, summary: 'one' } },
    });
    await t.request('/rest/api/2/issue/DEMO-1', { method: 'PUT', json: { fields: { summary: 'two' } } });
    await t.request('/rest/api/2/issue/DEMO-1', { method: 'PUT', json: { fields: { summary: 'three' } } });
    const changelog = await t.call<{ total: number; values: { items: J[] }[]; isLast: boolean }>(
      '/rest/api/2/issue/DEMO-1/changelog?maxResults=1',
    );
    expect(changelog.body).toMatchObject({ total: 2, isLast: false });
    expect(changelog.body.values[0]!.items[0]).toMatchObject({ fromString: 'one', toString: 'two' });

    const form = new FormData();
    form.append('file', new Blob(['bytes']), 'b.bin');
    const [attachment] = (
      await t.call<J[]>('/rest/api/2/issue/DEMO-1/attachments', {
        method: 'POST',
        body: form,
        headers: { 'X-Atlassian-Token': 'no-check' },
      })
    ).body;
    expect(await (await t.request(`/rest/api/3/attachment/content/${attachment!.id}`)).text()).toBe('bytes');
    expect((await t.call<J>('/rest/api/2/attachment/meta')).body).toMatchObject({ enabled: true });
  });

  it('deletes a version through removeAndSwap (Cloud) moving its issues', async () => {
    const t = makeTestApp('cloud', { seedIssues: 40 });
    const { store } = t.data.deps();
    const fixed = (id: string) =>
      [...store.issues.values()].filter((i) => i.fixVersionIds.includes(id)).length;
    const total = fixed('10000') + fixed('10001');
    expect(
      (await t.request('/rest/api/3/version/10000/removeAndSwap', { json: { moveFixIssuesTo: 10001 } }))
        .status,
    ).toBe(204);
    expect(fixed('10001')).toBe(total);
    expect((await t.request('/rest/api/3/version/10000')).status).toBe(404);
  });
});
