import { describe, expect, it } from 'vitest';
import { patAuth } from '../auth.js';
import { JiraClient } from '../client.js';
import type { JiraDeployment } from '../deployment.js';
import { JiraApiError } from '../errors.js';
import { type ScriptedAnswer, scriptedFetch } from '../test-support.js';

const CLOUD: JiraDeployment = { cloud: true, deploymentType: 'Cloud', major: 1001, minor: 0 };
const SERVER8: JiraDeployment = { cloud: false, deploymentType: 'Server', major: 8, minor: 20 };
const DC9: JiraDeployment = { cloud: false, deploymentType: 'DataCenter', major: 9, minor: 12 };
const DC10: JiraDeployment = { cloud: false, deploymentType: 'DataCenter', major: 10, minor: 3 };

function client(answers: ScriptedAnswer[], deployment?: JiraDeployment) {
  const { fetch, requests } = scriptedFetch(answers);
  const c = new JiraClient({
    jiraUrl: 'https://jira.example.com',
    auth: patAuth({ token: 't' }),
    fetch,
    sleep: async () => {},
    ...(deployment ? { deployment } : {}),
  });
  return { c, requests };
}

const issue = (n: number) => ({ id: String(10000 + n), key: `P-${n}` });

describe('deployment detection', () => {
  it('asks serverInfo once, shared by concurrent callers, and picks the API variant from it', async () => {
    const { c, requests } = client([
      {
        status: 200,
        json: {
          baseUrl: 'https://jira.example.com',
          versionNumbers: [10, 3, 1],
          deploymentType: 'DataCenter',
        },
      },
      { status: 200, json: [] },
      { status: 200, json: [] },
    ]);
    await Promise.all([c.listAdminWebhooks(), c.listAdminWebhooks()]);
    expect(requests.map((r) => r.url.pathname)).toEqual([
      '/rest/api/2/serverInfo',
      '/rest/jira-webhook/1.0/webhooks',
      '/rest/jira-webhook/1.0/webhooks',
    ]);
  });

  it('asks again after a failed detection', async () => {
    const { c } = client([
      { status: 404 },
      {
        status: 200,
        json: { baseUrl: 'https://x.atlassian.net', versionNumbers: [1001, 0, 0], deploymentType: 'Cloud' },
      },
    ]);
    await expect(c.deployment()).rejects.toBeInstanceOf(JiraApiError);
    expect((await c.deployment()).cloud).toBe(true);
  });
});

describe('search paging', () => {
  it('Server/DC: pages with startAt, advancing by what came back (Jira may cap maxResults)', async () => {
    const { c, requests } = client(
      [
        { status: 200, json: { startAt: 0, maxResults: 2, total: 5, issues: [issue(1), issue(2)] } },
        { status: 200, json: { startAt: 2, maxResults: 2, total: 5, issues: [issue(3), issue(4)] } },
        { status: 200, json: { startAt: 4, maxResults: 2, total: 5, issues: [issue(5)] } },
      ],
      DC9,
    );
    const pages = [];
    for await (const page of c.searchPages('project = P', { pageSize: 50, fields: ['summary'] }))
      pages.push(page);
    expect(pages.map((p) => p.issues.map((i) => i.key))).toEqual([['P-1', 'P-2'], ['P-3', 'P-4'], ['P-5']]);
    expect(pages.map((p) => p.startAt)).toEqual([0, 2, 4]);
    expect(requests.map((r) => r.url.pathname)).toEqual(Array(3).fill('/rest/api/2/search'));
    expect(requests.map((r) => JSON.parse(String(r.body)).startAt)).toEqual([0, 2, 4]);
    expect(JSON.parse(String(requests[0]!.body))).toEqual({
      jql: 'project = P',
      startAt: 0,
      maxResults: 50,
      fields: ['summary'],
    });
  });

  it('Server/DC: stops on an empty page even if total says more', async () => {
    const { c, requests } = client(
      [
        { status: 200, json: { total: 10, issues: [issue(1)] } },
        { status: 200, json: { total: 10, issues: [] } },
      ],
      SERVER8,
    );
    const keys = [];
    for await (const i of c.searchIssues('project = P')) keys.push(i.key);
    expect(keys).toEqual(['P-1']);
    expect(requests).toHaveLength(2);
  });

  it('Cloud: pages with nextPageToken until isLast, on /rest/api/3/search/jql', async () => {
    const { c, requests } = client(
      [
        { status: 200, json: { issues: [issue(1), issue(2)], nextPageToken: 'tok-2', isLast: false } },
        { status: 200, json: { issues: [issue(3)], nextPageToken: 'tok-3', isLast: false } },
        { status: 200, json: { issues: [issue(4)], isLast: true } },
      ],
      CLOUD,
    );
    const pages = [];
    for await (const page of c.searchPages('project = P', { pageSize: 2 })) pages.push(page);
    expect(pages.map((p) => p.issues.length)).toEqual([2, 1, 1]);
    expect(pages.map((p) => p.nextPageToken)).toEqual(['tok-2', 'tok-3', undefined]);
    expect(requests.map((r) => r.url.pathname)).toEqual(Array(3).fill('/rest/api/3/search/jql'));
    expect(requests.map((r) => JSON.parse(String(r.body)).nextPageToken)).toEqual([
      undefined,
      'tok-2',
      'tok-3',
    ]);
  });

  it('Cloud: resumes from a checkpointed token and stops if Jira repeats a token', async () => {
    const { c, requests } = client(
      [
        { status: 200, json: { issues: [issue(7)], nextPageToken: 'tok-7' } },
        { status: 200, json: { issues: [issue(8)], nextPageToken: 'tok-7' } },
      ],
      CLOUD,
    );
    const keys = [];
    for await (const i of c.searchIssues('x', { resumeFrom: { nextPageToken: 'tok-6' } })) keys.push(i.key);
    expect(keys).toEqual(['P-7', 'P-8']);
    expect(JSON.parse(String(requests[0]!.body)).nextPageToken).toBe('tok-6');
  });

  it('fetches pages lazily: a consumer that stops early costs one call', async () => {
    const { c, requests } = client(
      [{ status: 200, json: { issues: [issue(1)], nextPageToken: 'a' } }],
      CLOUD,
    );
    for await (const page of c.searchPages('x')) {
      expect(page.issues).toHaveLength(1);
      break;
    }
    expect(requests).toHaveLength(1);
  });
});

describe('projects', () => {
  it('Cloud pages /project/search', async () => {
    const p = (k: string) => ({ id: k.length, key: k, name: k });
    const { c, requests } = client(
      [
        {
          status: 200,
          json: { startAt: 0, maxResults: 2, total: 3, isLast: false, values: [p('A'), p('BB')] },
        },
        { status: 200, json: { startAt: 2, maxResults: 2, total: 3, isLast: true, values: [p('CCC')] } },
      ],
      CLOUD,
    );
    const projects = await c.listProjects();
    expect(projects.map((x) => [x.key, x.id])).toEqual([
      ['A', '1'],
      ['BB', '2'],
      ['CCC', '3'],
    ]);
    expect(requests.map((r) => r.url.search)).toEqual([
      '?startAt=0&maxResults=50',
      '?startAt=2&maxResults=50',
    ]);
  });

  it('Server lists /project in one call', async () => {
    const { c, requests } = client([{ status: 200, json: [{ id: '1', key: 'A', name: 'A' }] }], SERVER8);
    expect(await c.listProjects()).toHaveLength(1);
    expect(requests[0]!.url.pathname).toBe('/rest/api/2/project');
  });

  it('encodes keys in paths', async () => {
    const { c, requests } = client([{ status: 200, json: [] }], SERVER8);
    await c.projectVersions('A/../B?x');
    expect(requests[0]!.url.pathname).toBe('/rest/api/2/project/A%2F..%2FB%3Fx/versions');
  });
});

describe('mypermissions', () => {
  it('always names the permissions (Cloud requires it) and passes the project key', async () => {
    const { c, requests } = client(
      [{ status: 200, json: { permissions: { BROWSE_PROJECTS: { havePermission: true } } } }],
      CLOUD,
    );
    const res = await c.myPermissions({ projectKey: 'P' });
    expect(res.permissions.BROWSE_PROJECTS?.havePermission).toBe(true);
    const q = requests[0]!.url.searchParams;
    expect(q.get('permissions')?.split(',')).toContain('BROWSE_PROJECTS');
    expect(q.get('permissions')?.split(',')).toContain('TRANSITION_ISSUES');
    expect(q.get('projectKey')).toBe('P');
  });
});

describe('createmeta', () => {
  it('Server < 9 uses the project-wide createmeta with expanded fields', async () => {
    const { c, requests } = client(
      [
        {
          status: 200,
          json: {
            projects: [
              {
                id: '1',
                key: 'P',
                issuetypes: [
                  {
                    id: '10',
                    name: 'Bug',
                    fields: {
                      summary: {
                        name: 'Summary',
                        required: true,
                        schema: { type: 'string', system: 'summary' },
                      },
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
      SERVER8,
    );
    const fields = await c.createMetaFields('P', '10');
    expect(fields).toEqual([
      { fieldId: 'summary', name: 'Summary', required: true, schema: { type: 'string', system: 'summary' } },
    ]);
    expect(requests[0]!.url.pathname).toBe('/rest/api/2/issue/createmeta');
    expect(Object.fromEntries(requests[0]!.url.searchParams)).toEqual({
      projectKeys: 'P',
      issuetypeIds: '10',
      expand: 'projects.issuetypes.fields',
    });
  });

  it('Server < 9: a project missing from createmeta is reported as not found with a permission hint', async () => {
    const { c } = client([{ status: 200, json: { projects: [] } }], SERVER8);
    const e = await c.createMetaIssueTypes('NOPE').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(JiraApiError);
    expect((e as JiraApiError).code).toBe('jira_not_found');
    expect((e as JiraApiError).hint).toMatch(/Create Issues/);
  });

  it('DC 9+ pages /createmeta/{project}/issuetypes ("values") and /issuetypes/{id}', async () => {
    const { c, requests } = client(
      [
        { status: 200, json: { startAt: 0, maxResults: 1, total: 2, values: [{ id: '10', name: 'Bug' }] } },
        { status: 200, json: { startAt: 1, maxResults: 1, total: 2, values: [{ id: '11', name: 'Task' }] } },
        {
          status: 200,
          json: { isLast: true, values: [{ fieldId: 'summary', name: 'Summary', required: true }] },
        },
      ],
      DC9,
    );
    expect((await c.createMetaIssueTypes('P')).map((t) => t.name)).toEqual(['Bug', 'Task']);
    expect((await c.createMetaFields('P', '10')).map((f) => f.fieldId)).toEqual(['summary']);
    expect(requests.map((r) => r.url.pathname)).toEqual([
      '/rest/api/2/issue/createmeta/P/issuetypes',
      '/rest/api/2/issue/createmeta/P/issuetypes',
      '/rest/api/2/issue/createmeta/P/issuetypes/10',
    ]);
  });

  it('Cloud reads "issueTypes" and "fields" lists', async () => {
    const { c } = client(
      [
        { status: 200, json: { total: 1, issueTypes: [{ id: '10', name: 'Bug' }] } },
        { status: 200, json: { total: 1, fields: [{ key: 'priority', name: 'Priority', required: false }] } },
      ],
      CLOUD,
    );
    expect((await c.createMetaIssueTypes('P')).map((t) => t.id)).toEqual(['10']);
    expect((await c.createMetaFields('P', '10'))[0]?.fieldId).toBe('priority');
  });
});

describe('issues', () => {
  it('uploads attachments as multipart "file" with the XSRF bypass header', async () => {
    const { c, requests } = client([{ status: 200, json: [{ id: 5, filename: 'log.txt', size: 3 }] }], DC9);
    const res = await c.addAttachment('P-1', {
      filename: 'log.txt',
      content: new TextEncoder().encode('abc'),
    });
    expect(res[0]?.id).toBe('5');
    const req = requests[0]!;
    expect(req.headers.get('x-atlassian-token')).toBe('no-check');
    expect(req.body).toBeInstanceOf(FormData);
    const file = (req.body as FormData).get('file') as File;
    expect(file.name).toBe('log.txt');
    expect(await file.text()).toBe('abc');
  });

  it('links issues, transitions and comments with the v2 bodies', async () => {
    const { c, requests } = client(
      [{ status: 201 }, { status: 204 }, { status: 201, json: { id: '9', body: 'hi' } }],
      CLOUD,
    );
    await c.createIssueLink({ type: 'Relates', inwardIssue: 'P-1', outwardIssue: 'P-2' });
    await c.transitionIssue('P-1', { transitionId: '31' });
    await c.addComment('P-1', 'hi');
    expect(requests.map((r) => [r.method, r.url.pathname, JSON.parse(String(r.body))])).toEqual([
      [
        'POST',
        '/rest/api/2/issueLink',
        { type: { name: 'Relates' }, inwardIssue: { key: 'P-1' }, outwardIssue: { key: 'P-2' } },
      ],
      ['POST', '/rest/api/2/issue/P-1/transitions', { transition: { id: '31' } }],
      ['POST', '/rest/api/2/issue/P-1/comment', { body: 'hi' }],
    ]);
  });
});

describe('webhooks', () => {
  const input = {
    name: 'Testbridge P',
    url: 'https://tb.example.com/webhooks/jira/abc',
    events: ['jira:issue_updated', 'jira:version_released'],
    jql: 'project = P',
  };

  it('v1 admin API (Server/DC < 10, Cloud): filters section and id from self', async () => {
    const { c, requests } = client(
      [
        {
          status: 201,
          json: {
            self: 'https://jira.example.com/rest/webhooks/1.0/webhook/42',
            name: input.name,
            url: input.url,
            events: input.events,
            filters: { 'issue-related-events-section': 'project = P' },
            enabled: true,
          },
        },
      ],
      DC9,
    );
    const w = await c.createAdminWebhook(input);
    expect(w).toEqual({ ...input, id: '42', enabled: true, excludeBody: false });
    expect(requests[0]!.url.pathname).toBe('/rest/webhooks/1.0/webhook');
    expect(JSON.parse(String(requests[0]!.body)).filters).toEqual({
      'issue-related-events-section': 'project = P',
    });
  });

  it('DC 10 jira-webhook API: configuration FILTERS / EXCLUDE_BODY and active', async () => {
    const { c, requests } = client(
      [
        {
          status: 200,
          json: {
            id: 7,
            name: input.name,
            url: input.url,
            events: input.events,
            active: true,
            configuration: { FILTERS: 'project = P', EXCLUDE_BODY: 'false' },
          },
        },
        { status: 204 },
      ],
      DC10,
    );
    const w = await c.createAdminWebhook({ ...input, secret: 's3cret' });
    expect(w).toEqual({ ...input, id: '7', enabled: true, excludeBody: false });
    expect(JSON.parse(String(requests[0]!.body)).secret).toBe('s3cret');
    await c.deleteAdminWebhook('7');
    expect(requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      'POST /rest/jira-webhook/1.0/webhooks',
      'DELETE /rest/jira-webhook/1.0/webhooks/7',
    ]);
    expect(JSON.parse(String(requests[0]!.body)).configuration).toEqual({
      FILTERS: 'project = P',
      EXCLUDE_BODY: 'false',
    });
  });

  it('Cloud dynamic webhooks: register, list (paged), refresh, delete', async () => {
    const { c, requests } = client(
      [
        {
          status: 200,
          json: { webhookRegistrationResult: [{ createdWebhookId: 1 }, { errors: ['bad JQL'] }] },
        },
        {
          status: 200,
          json: {
            startAt: 0,
            maxResults: 1,
            total: 2,
            isLast: false,
            values: [{ id: 1, jqlFilter: 'a', events: ['x'] }],
          },
        },
        {
          status: 200,
          json: {
            startAt: 1,
            maxResults: 1,
            total: 2,
            isLast: true,
            values: [{ id: 2, jqlFilter: 'b', events: ['x'] }],
          },
        },
        { status: 200, json: { expirationDate: 1_800_000_000_000 } },
        { status: 202 },
      ],
      CLOUD,
    );
    const reg = await c.registerDynamicWebhooks('https://tb/x', [
      { jqlFilter: 'a', events: ['x'] },
      { jqlFilter: '!', events: ['x'] },
    ]);
    expect(reg).toEqual([{ createdWebhookId: 1 }, { errors: ['bad JQL'] }]);
    expect((await c.listDynamicWebhooks()).map((w) => w.id)).toEqual([1, 2]);
    expect(await c.refreshDynamicWebhooks([1, 2])).toBe(1_800_000_000_000);
    await c.deleteDynamicWebhooks([1, 2]);
    expect(requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      'POST /rest/api/2/webhook',
      'GET /rest/api/2/webhook',
      'GET /rest/api/2/webhook',
      'PUT /rest/api/2/webhook/refresh',
      'DELETE /rest/api/2/webhook',
    ]);
    expect(JSON.parse(String(requests[4]!.body))).toEqual({ webhookIds: [1, 2] });
  });
});
