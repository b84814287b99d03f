import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Flavor } from '../context.js';
import { compareShape, loadFixtures, nullablePaths } from './webhooks/fixture-shape.js';
import { startReceiver, type TestReceiver } from './webhooks/test-receiver.js';
import { makeTestApp, type TestApp } from './testing.js';

type J = Record<string, unknown>;

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});
afterEach(() => {
  receiver.received.length = 0;
  receiver.script.length = 0;
});

const ALL = [
  'jira:issue_created',
  'jira:issue_updated',
  'jira:issue_deleted',
  'comment_created',
  'comment_updated',
  'comment_deleted',
  'jira:version_created',
  'jira:version_updated',
  'jira:version_released',
  'jira:version_unreleased',
  'jira:version_moved',
  'jira:version_deleted',
  'project_updated',
  'project_deleted',
];

async function register(t: TestApp, body: J, path = '/rest/webhooks/1.0/webhook') {
  return t.call<J>(path, { json: { name: 'testbridge', url: `${receiver.url}/hook`, events: ALL, ...body } });
}

const createIssue = (t: TestApp, project = 'DEMO', extra: J = {}) =>
  t.call<J>('/rest/api/2/issue', {
    json: {
      fields: {
        project: { key: project },
        issuetype: { name: 'Task' },
        summary: 'Hooked',
        description: 'Body',
        ...extra,
      },
    },
  });

describe('admin webhook registry', () => {
  it('creates, lists, updates and deletes on /rest/webhooks/1.0/webhook without echoing the secret', async () => {
    const t = makeTestApp('server');
    const created = await register(t, {
      filters: { 'issue-related-events-section': 'project = DEMO' },
      secret: 's3cret',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'testbridge',
      url: `${receiver.url}/hook`,
      events: ALL,
      filters: { 'issue-related-events-section': 'project = DEMO' },
      excludeBody: false,
      enabled: true,
      self: 'https://jira.example.com/jira/rest/webhooks/1.0/webhook/1',
      lastUpdatedUser: 'admin',
    });
    expect(JSON.stringify(created.body)).not.toContain('s3cret');
    expect((await t.call<J[]>('/rest/webhooks/1.0/webhook')).body).toHaveLength(1);
    const updated = await t.call<J>('/rest/webhooks/1.0/webhook/1', {
      method: 'PUT',
      json: { events: ['jira:issue_created'] },
    });
    expect(updated.body).toMatchObject({ events: ['jira:issue_created'], name: 'testbridge' });
    expect((await t.request('/rest/webhooks/1.0/webhook/1', { method: 'DELETE' })).status).toBe(204);
    expect((await t.request('/rest/webhooks/1.0/webhook/1')).status).toBe(404);
  });

  it('refuses non-admins, bad JQL, unknown events and bad URLs', async () => {
    const t = makeTestApp('server');
    expect((await t.call('/rest/webhooks/1.0/webhook', { as: 'developer' })).status).toBe(403);
    expect((await t.call('/rest/webhooks/1.0/webhook', { as: null })).status).toBe(401);
    expect(
      (await register(t, { filters: { 'issue-related-events-section': 'project = NOPE' } })).body,
    ).toEqual({
      errorMessages: ["The value 'NOPE' does not exist for the field 'project'."],
      errors: {},
    });
    expect((await register(t, { events: ['jira:issue_exploded'] })).body).toMatchObject({
      errors: { events: expect.any(String) },
    });
    expect((await register(t, { url: 'ftp://x' })).body).toMatchObject({
      errors: { url: expect.any(String) },
    });
  });

  it('lives at /rest/jira-webhook/1.0/webhooks with `configuration` on Data Center 10', async () => {
    const t = makeTestApp('dc10');
    expect((await t.request('/rest/webhooks/1.0/webhook')).status).toBe(404);
    const created = await register(
      t,
      { configuration: { FILTERS: 'project = SIM', EXCLUDE_BODY: 'false' } },
      '/rest/jira-webhook/1.0/webhooks',
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 1,
      active: true,
      configuration: { FILTERS: 'project = SIM', EXCLUDE_BODY: 'false' },
    });
    expect((await t.call<J[]>('/rest/jira-webhook/1.0/webhooks')).body).toHaveLength(1);
  });
});

describe('webhook dispatch', () => {
  it('posts JSON with identifier and HMAC signature, only for events its JQL matches', async () => {
    const t = makeTestApp('server');
    await register(t, {
      events: ['jira:issue_created'],
      filters: { 'issue-related-events-section': 'project = DEMO' },
      secret: 'k3y',
    });
    await createIssue(t, 'SIM');
    await createIssue(t, 'DEMO');
    await t.data.idle();
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(got.path).toBe('/hook');
    expect(got.headers['content-type']).toMatch(/^application\/json/);
    expect(got.headers['x-atlassian-webhook-identifier']).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.headers['x-atlassian-webhook-retry']).toBeUndefined();
    expect(got.headers['x-hub-signature']).toBe(
      `sha256=${createHmac('sha256', 'k3y').update(got.body).digest('hex')}`,
    );
    const body = JSON.parse(got.body) as J;
    expect(body).toMatchObject({
      webhookEvent: 'jira:issue_created',
      issue_event_type_name: 'issue_created',
      issue: { key: 'DEMO-1' },
    });
    const log = await t.call<{ deliveries: J[] }>('/rest/sim/1.0/webhook-deliveries');
    expect(log.body.deliveries).toMatchObject([
      { event: 'jira:issue_created', state: 'delivered', attempts: [{ status: 200 }] },
    ]);
  });

  it('retries 5xx/429/connection failures with the same identifier, never other 4xx', async () => {
    const t = makeTestApp('server');
    await register(t, { events: ['jira:issue_created'] });
    receiver.script.push(503, 429);
    await createIssue(t);
    await t.data.idle();
    expect(receiver.received.map((r) => r.status)).toEqual([503, 429, 200]);
    const ids = new Set(receiver.received.map((r) => r.headers['x-atlassian-webhook-identifier']));
    expect(ids.size).toBe(1);
    expect(receiver.received.map((r) => r.headers['x-atlassian-webhook-retry'])).toEqual([
      undefined,
      '1',
      '2',
    ]);

    receiver.received.length = 0;
    receiver.script.push(400);
    await createIssue(t);
    await t.data.idle();
    expect(receiver.received.map((r) => r.status)).toEqual([400]);
    const log = (await t.call<{ deliveries: J[] }>('/rest/sim/1.0/webhook-deliveries')).body.deliveries;
    expect(log.at(-1)).toMatchObject({ state: 'failed', attempts: [{ status: 400 }] });

    // Nobody listening: a connection error, retried until the schedule runs out.
    await register(t, { events: ['jira:issue_created'], url: 'http://127.0.0.1:1/closed' });
    await createIssue(t);
    await t.data.idle();
    const refused = (
      await t.call<{ deliveries: J[] }>('/rest/sim/1.0/webhook-deliveries')
    ).body.deliveries.at(-1)!;
    expect(refused).toMatchObject({ state: 'failed', url: 'http://127.0.0.1:1/closed' });
    expect((refused.attempts as J[]).map((a) => a.status)).toEqual([null, null, null, null]);
  });

  it('applies injected faults deterministically: drop, duplicate, reorder', async () => {
    const t = makeTestApp('server');
    await register(t, { events: ['jira:issue_created'] });
    t.ctx.webhookFaults.drop = 1;
    await createIssue(t);
    await t.data.idle();
    expect(receiver.received).toHaveLength(0);
    expect(
      (await t.call<{ deliveries: J[] }>('/rest/sim/1.0/webhook-deliveries')).body.deliveries[0],
    ).toMatchObject({ state: 'dropped' });

    t.ctx.webhookFaults.drop = 0;
    t.ctx.webhookFaults.duplicate = 1;
    await createIssue(t);
    await t.data.idle();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0]!.headers['x-atlassian-webhook-identifier']).toBe(
      receiver.received[1]!.headers['x-atlassian-webhook-identifier'],
    );

    const orderOf = async () => {
      const run = makeTestApp('server');
      await register(run, { events: ['jira:issue_created'] });
      run.ctx.webhookFaults.reorder = true;
      run.ctx.webhookFaults.delayMs = 5;
      receiver.received.length = 0;
      for (let i = 0; i < 8; i++) await createIssue(run);
      await run.data.idle();
      return receiver.received.map((r) => (JSON.parse(r.body) as { issue: { key: string } }).issue.key);
    };
    const first = await orderOf();
    const second = await orderOf();
    expect(first).toHaveLength(8);
    expect([...first].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `DEMO-${i + 1}`).sort());
    expect(first).toEqual(second);
    expect(first).not.toEqual([...first].sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1])));
  });

  it('sends no body when excludeBody is set, and expands the issue key variable in the URL', async () => {
    const t = makeTestApp('server');
    await register(t, {
      events: ['jira:issue_created'],
      excludeBody: true,
      url: `${receiver.url}/i/\${issue.key}`,
    });
    await createIssue(t);
    await t.data.idle();
    expect(receiver.received[0]).toMatchObject({ path: '/i/DEMO-1', body: '' });
  });
});

describe('Cloud dynamic webhooks', () => {
  it('are for OAuth 2.0 apps only, expire 30 days after the last refresh, and can be deleted', async () => {
    const t = makeTestApp('cloud');
    const as = { authKind: 'oauth2' as const };
    expect((await t.call('/rest/api/2/webhook', { as: 'admin' })).status).toBe(403);
    const reg = await t.call<{ webhookRegistrationResult: J[] }>('/rest/api/2/webhook', {
      ...as,
      json: {
        url: `${receiver.url}/dyn`,
        webhooks: [
          { events: ['jira:issue_created', 'jira:issue_updated'], jqlFilter: 'project = DEMO' },
          { events: ['jira:version_created'], jqlFilter: 'project = DEMO' },
          { events: ['jira:issue_created'], jqlFilter: 'project = = X' },
        ],
      },
    });
    expect(reg.body.webhookRegistrationResult[0]).toEqual({ createdWebhookId: 10000 });
    expect(reg.body.webhookRegistrationResult[1]).toEqual({
      errors: ["Event 'jira:version_created' is not supported."],
    });
    expect((reg.body.webhookRegistrationResult[2]!.errors as string[])[0]).toMatch(
      /^Invalid JQL: Error in the JQL Query/,
    );
    const list = await t.call<{ values: J[]; total: number }>('/rest/api/2/webhook', as);
    expect(list.body).toMatchObject({
      total: 1,
      isLast: true,
      values: [{ id: 10000, jqlFilter: 'project = DEMO' }],
    });
    expect(list.body.values[0]!.expirationDate).toBe(t.ctx.clock.now() + 30 * 86_400_000);

    await createIssue(t, 'DEMO');
    await createIssue(t, 'SIM');
    await t.data.idle();
    expect(receiver.received).toHaveLength(1);

    t.ctx.clock.advance(31 * 86_400_000);
    await createIssue(t, 'DEMO');
    await t.data.idle();
    expect(receiver.received).toHaveLength(1);
    const refreshed = await t.call<J>('/rest/api/2/webhook/refresh', {
      ...as,
      method: 'PUT',
      json: { webhookIds: [10000] },
    });
    expect(refreshed.body.expirationDate).toBe(t.ctx.clock.now() + 30 * 86_400_000);
    await createIssue(t, 'DEMO');
    await t.data.idle();
    expect(receiver.received).toHaveLength(2);

    expect(
      (await t.request('/rest/api/2/webhook', { ...as, method: 'DELETE', json: { webhookIds: [10000] } }))
        .status,
    ).toBe(202);
    expect((await t.call<{ total: number }>('/rest/api/2/webhook', as)).body.total).toBe(0);
    expect((await t.call('/rest/api/2/webhook', { ...as, method: 'DELETE', json: {} })).status).toBe(400);
    expect((await makeTestApp('server').request('/rest/api/2/webhook')).status).toBe(404);
  });
});

describe('payloads match the captured Jira deliveries', () => {
  const fixtures = loadFixtures();
  const nullable = nullablePaths(fixtures);

  async function everyEvent(flavor: Flavor): Promise<J[]> {
    const t = makeTestApp(flavor);
    await register(t, { events: [...ALL, 'issuelink_created', 'project_created'] });
    await createIssue(t, 'DEMO', {
      labels: ['x'],
      components: [{ name: 'Backend' }],
      fixVersions: [{ name: '1.0' }],
    });
    await createIssue(t, 'DEMO');
    await t.request('/rest/api/2/issue/DEMO-1', {
      method: 'PUT',
      json: { fields: { summary: 'Renamed', labels: ['y'] } },
    });
    const assignee =
      flavor === 'cloud' ? { accountId: t.ctx.findUser('developer')!.accountId } : { name: 'developer' };
    await t.request('/rest/api/2/issue/DEMO-1', { method: 'PUT', json: { fields: { assignee } } });
    await t.request('/rest/api/2/issue/DEMO-1/transitions', { json: { transition: { id: '31' } } });
    const comment = await t.call<J>('/rest/api/2/issue/DEMO-1/comment', { json: { body: 'hello' } });
    await t.request(`/rest/api/2/issue/DEMO-1/comment/${comment.body.id}`, {
      method: 'PUT',
      json: { body: 'edited' },
    });
    await t.request(`/rest/api/2/issue/DEMO-1/comment/${comment.body.id}`, { method: 'DELETE' });
    await t.request('/rest/api/2/issueLink', {
      json: { type: { name: 'Relates' }, inwardIssue: { key: 'DEMO-1' }, outwardIssue: { key: 'DEMO-2' } },
    });
    const v = await t.call<J>('/rest/api/2/version', { json: { name: '9.0', project: 'DEMO' } });
    await t.request(`/rest/api/2/version/${v.body.id}`, { method: 'PUT', json: { description: 'changed' } });
    await t.request(`/rest/api/2/version/${v.body.id}`, { method: 'PUT', json: { released: true } });
    await t.request(`/rest/api/2/version/${v.body.id}`, { method: 'PUT', json: { released: false } });
    await t.request(`/rest/api/2/version/${v.body.id}/move`, { json: { position: 'First' } });
    await t.request(`/rest/api/2/version/${v.body.id}/mergeto/10000`, { method: 'PUT' });
    await t.request('/rest/api/2/version/10001', { method: 'DELETE' });
    await t.request('/rest/api/2/project/DEMO', { method: 'PUT', json: { description: 'new' } });
    await t.request('/rest/api/2/issue/DEMO-2', { method: 'DELETE' });
    await t.request('/rest/api/2/project/SIM', { method: 'DELETE' });
    await t.data.idle();
    const bodies = receiver.received.map((r) => JSON.parse(r.body) as J);
    receiver.received.length = 0;
    return bodies;
  }

  for (const flavor of ['server', 'cloud'] as const) {
    it(`${flavor}: every issue and comment event has the fixtures' structure`, async () => {
      const bodies = await everyEvent(flavor);
      const sent = new Set(bodies.map((b) => `${b.webhookEvent}/${b.issue_event_type_name ?? ''}`));
      for (const expected of [
        'jira:issue_created/issue_created',
        'jira:issue_updated/issue_updated',
        'jira:issue_updated/issue_assigned',
        'jira:issue_updated/issue_generic',
        'jira:issue_updated/issue_commented',
        'jira:issue_deleted/issue_deleted',
        'comment_created/',
        'comment_updated/',
        'comment_deleted/',
      ]) {
        expect(sent).toContain(expected);
      }
      let compared = 0;
      for (const body of bodies) {
        const candidates = fixtures.filter(
          (f) =>
            f.body.webhookEvent === body.webhookEvent &&
            (f.body.issue_event_type_name === undefined ||
              f.body.issue_event_type_name === body.issue_event_type_name),
        );
        for (const fixture of candidates) {
          // A fixture's changelog/comment sections only apply to events that have them.
          const shaped = { ...fixture.body };
          if (!('changelog' in body)) delete shaped.changelog;
          const problems = compareShape(shaped, body, flavor, nullable);
          expect(problems, `${body.webhookEvent} vs ${fixture.file}`).toEqual([]);
          compared++;
        }
      }
      expect(compared).toBeGreaterThanOrEqual(30);
    });
  }

  it('version, project and link events carry Jira’s documented objects', async () => {
    const bodies = await everyEvent('server');
    const byEvent = (name: string) => bodies.filter((b) => b.webhookEvent === name);
    for (const name of ALL.filter((e) => e.startsWith('jira:version_'))) {
      expect(byEvent(name).length, name).toBeGreaterThan(0);
      for (const b of byEvent(name)) {
        expect(b).toMatchObject({
          timestamp: expect.any(Number),
          version: {
            self: expect.any(String),
            id: expect.any(String),
            name: expect.any(String),
            released: expect.any(Boolean),
            archived: expect.any(Boolean),
            projectId: 10000,
          },
        });
      }
    }
    expect(byEvent('jira:version_deleted').some((b) => (b.mergedTo as J | undefined)?.id === '10000')).toBe(
      true,
    );
    expect(byEvent('project_updated')[0]).toMatchObject({
      project: { key: 'DEMO', id: 10000, projectLead: { name: 'admin' } },
    });
    expect(byEvent('project_deleted')[0]).toMatchObject({ project: { key: 'SIM' } });
    expect(byEvent('issuelink_created')[0]).toMatchObject({
      issueLink: { issueLinkType: { name: 'Relates' } },
    });
  });
});

describe('the fixture comparison itself', () => {
  it('catches missing keys, wrong types and unexpected nulls', () => {
    const fixtures = loadFixtures();
    const nullable = nullablePaths(fixtures);
    const fixture = fixtures.find((f) => f.file === 'webhook-issue-updated-labels.json')!.body;
    const broken = JSON.parse(JSON.stringify(fixture)) as {
      issue: { fields: J };
      changelog: { id: unknown };
    };
    delete broken.issue.fields.status;
    broken.issue.fields.labels = 'x';
    broken.issue.fields.summary = null;
    broken.changelog.id = 5;
    expect(compareShape(fixture, broken, 'cloud', nullable).sort()).toEqual([
      'changelog.id: fixture string, ours number',
      'issue.fields.labels: fixture array, ours string',
      'issue.fields.status: missing',
      'issue.fields.summary: fixture string, ours null',
    ]);
    expect(compareShape(fixture, fixture, 'cloud', nullable)).toEqual([]);
  });
});

describe('closing', () => {
  it('stops pending retries so the process can exit', async () => {
    const t = makeTestApp('server');
    t.ctx.webhookRetryDelaysMs = [60_000];
    await register(t, { events: ['jira:issue_created'] });
    receiver.script.push(503);
    await createIssue(t);
    await receiver.waitFor(1);
    await t.data.close();
    await t.data.idle();
    expect(receiver.received).toHaveLength(1);
    // Changes after close are recorded but never sent.
    await createIssue(t);
    await t.data.idle();
    expect(receiver.received).toHaveLength(1);
  });
});
