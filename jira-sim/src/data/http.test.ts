/**
 * The data side mounted by the core (createJiraSim) and driven over real HTTP: context path,
 * a base URL behind a proxy, Basic auth, the sim admin API, webhooks end to end, and Cloud's
 * API gateway with an OAuth 2.0 app registering dynamic webhooks.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJiraSim, type JiraSim } from '../server.js';
import { startReceiver, type TestReceiver } from './webhooks/test-receiver.js';

type J = Record<string, unknown>;
const basic = (login: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}`,
});
const ADMIN = basic('admin', 'admin');

async function call<T = J>(
  url: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const response = await fetch(url, { ...init, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // non-JSON bodies (XSRF check failed) are returned as text
  }
  return { status: response.status, body: parsed as T };
}

let receiver: TestReceiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

describe('Server flavour behind a proxy, under /jira', () => {
  let sim: JiraSim;
  let api: string;
  beforeAll(async () => {
    sim = await createJiraSim({
      flavor: 'server',
      contextPath: '/jira',
      baseUrl: 'https://jira.example.com/jira',
      seedIssues: 200,
      webhookRetryDelaysMs: [10, 10],
    });
    api = `${sim.url}/rest/api/2`;
  });
  afterAll(() => sim.close());

  it('serves projects, search and issues with self links on the base URL', async () => {
    const projects = await call<J[]>(`${api}/project`, { headers: ADMIN });
    expect(projects.body.map((p) => p.key)).toEqual(['DEMO', 'SIM']);
    expect(projects.body[0]!.self).toBe('https://jira.example.com/jira/rest/api/2/project/10000');
    const page = await call<{ total: number; issues: J[] }>(
      `${api}/search?jql=${encodeURIComponent('project = SIM ORDER BY key DESC')}&maxResults=3&fields=summary`,
      { headers: ADMIN },
    );
    expect(page.body.total).toBe(100);
    expect(page.body.issues.map((i) => i.key)).toEqual(['SIM-100', 'SIM-99', 'SIM-98']);
    expect((await call(`${api}/search?jql=bogus`, { headers: ADMIN })).status).toBe(400);
    expect((await call(`${api}/project`)).status).toBe(401);
    expect((await call(`${api}/issue/DEMO-1`, { headers: basic('noperms', 'noperms') })).status).toBe(404);
  });

  it('delivers signed webhooks for changes made over REST, and records them', async () => {
    receiver.received.length = 0;
    const hook = await call<J>(`${sim.url}/rest/webhooks/1.0/webhook`, {
      method: 'POST',
      headers: ADMIN,
      json: {
        name: 'Testbridge',
        url: `${receiver.url}/jira`,
        events: ['jira:issue_created', 'jira:issue_updated', 'jira:version_released'],
        filters: { 'issue-related-events-section': 'project = DEMO' },
        secret: 'shared-secret',
      },
    });
    expect(hook.status).toBe(201);
    expect(hook.body.self).toBe('https://jira.example.com/jira/rest/webhooks/1.0/webhook/1');
    expect(
      (await call(`${sim.url}/rest/webhooks/1.0/webhook`, { headers: basic('developer', 'developer') }))
        .status,
    ).toBe(403);

    const created = await call<J>(`${api}/issue`, {
      method: 'POST',
      headers: ADMIN,
      json: { fields: { project: { key: 'DEMO' }, issuetype: { id: '3' }, summary: 'From REST' } },
    });
    expect(created.status).toBe(201);
    await call(`${api}/issue/${created.body.key}`, {
      method: 'PUT',
      headers: ADMIN,
      json: { fields: { summary: 'Edited' } },
    });
    await call(`${api}/version/10002`, { method: 'PUT', headers: ADMIN, json: { released: true } });
    await receiver.waitFor(3);
    const events = receiver.received.map((r) => (JSON.parse(r.body) as J).webhookEvent);
    expect(events).toEqual(['jira:issue_created', 'jira:issue_updated', 'jira:version_released']);
    for (const r of receiver.received) {
      expect(r.headers['x-hub-signature']).toBe(
        `sha256=${createHmac('sha256', 'shared-secret').update(r.body).digest('hex')}`,
      );
    }
    const updated = JSON.parse(receiver.received[1]!.body) as {
      changelog: { items: J[] };
      issue: { self: string };
    };
    expect(updated.changelog.items).toEqual([
      {
        field: 'summary',
        fieldtype: 'jira',
        fieldId: 'summary',
        from: null,
        fromString: 'From REST',
        to: null,
        toString: 'Edited',
      },
    ]);
    expect(updated.issue.self).toMatch(/^https:\/\/jira\.example\.com\/jira\/rest\/api\/2\/issue\/\d+$/);
    const log = await call<{ deliveries: J[] }>(`${sim.url}/rest/sim/1.0/webhook-deliveries`);
    expect(log.body.deliveries.map((d) => d.state)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('drops webhook deliveries when the fault API of the core says so', async () => {
    receiver.received.length = 0;
    const faults = (webhooks: J) =>
      call(`${sim.url}/rest/sim/1.0/faults`, { method: 'PUT', json: { webhooks } });
    expect((await faults({ drop: 1 })).status).toBeLessThan(300);
    await call(`${api}/issue`, {
      method: 'POST',
      headers: ADMIN,
      json: { fields: { project: { key: 'DEMO' }, issuetype: { id: '3' }, summary: 'Lost' } },
    });
    await call(`${sim.url}/rest/sim/1.0/webhook-deliveries/flush`, { method: 'POST' });
    expect(receiver.received).toHaveLength(0);
    const log = await call<{ deliveries: J[] }>(
      `${sim.url}/rest/sim/1.0/webhook-deliveries?event=jira:issue_created`,
    );
    expect(log.body.deliveries.at(-1)).toMatchObject({ state: 'dropped' });
    await faults({});
  });

  it('exports a project, moves issues, seeds more and resets through the sim admin API', async () => {
    const exported = await call<{ projects: { key: string; versions: J[]; issues: J[] }[] }>(
      `${sim.url}/rest/sim/1.0/export?project=SIM`,
    );
    expect(exported.body.projects[0]!.issues).toHaveLength(100);
    expect(exported.body.projects[0]!.versions.map((v) => v.name)).toEqual(['1.0', '1.1', '2.0']);
    expect((await call(`${sim.url}/rest/sim/1.0/export?project=NOPE`)).status).toBe(404);
    const moved = await call<J>(`${sim.url}/rest/sim/1.0/issues/SIM-1/move`, {
      method: 'POST',
      json: { projectKey: 'DEMO' },
    });
    expect(moved.body.key).toMatch(/^DEMO-\d+$/);
    expect((await call<J>(`${api}/issue/SIM-1`, { headers: ADMIN })).body.key).toBe(moved.body.key);
    expect((await call(`${sim.url}/rest/sim/1.0/seed`, { method: 'POST', json: { count: 50 } })).status).toBe(
      200,
    );
    const total = async () =>
      (
        await call<{ total: number }>(
          `${api}/search?jql=${encodeURIComponent('project in (DEMO, SIM)')}&maxResults=0`,
          { headers: ADMIN },
        )
      ).body.total;
    expect(await total()).toBe(252);
    expect(
      (await call(`${sim.url}/rest/sim/1.0/reset`, { method: 'POST', json: { seedIssues: 10 } })).status,
    ).toBe(204);
    expect(await total()).toBe(10);
    expect((await call<J[]>(`${sim.url}/rest/webhooks/1.0/webhook`, { headers: ADMIN })).body).toEqual([]);
  });

  it('checks the XSRF token on attachments', async () => {
    const form = new FormData();
    form.append('file', new Blob(['x']), 'a.txt');
    const refused = await call(`${api}/issue/DEMO-1/attachments`, {
      method: 'POST',
      headers: ADMIN,
      body: form,
    });
    expect(refused).toEqual({ status: 403, body: 'XSRF check failed' });
    const again = new FormData();
    again.append('file', new Blob(['x']), 'a.txt');
    const ok = await call<J[]>(`${api}/issue/DEMO-1/attachments`, {
      method: 'POST',
      headers: { ...ADMIN, 'X-Atlassian-Token': 'no-check' },
      body: again,
    });
    expect(ok.status).toBe(200);
    expect(ok.body[0]).toMatchObject({ filename: 'a.txt', size: 1 });
  });
});

describe('Cloud: API gateway, OAuth 2.0 app, dynamic webhooks', () => {
  let sim: JiraSim;
  beforeAll(async () => {
    sim = await createJiraSim({ flavor: 'cloud', seedIssues: 20 });
  });
  afterAll(() => sim.close());

  async function grant(scope: string): Promise<string> {
    const callback = 'http://127.0.0.1:9999/cb';
    const client = await call<{ clientId: string; clientSecret: string }>(
      `${sim.url}/rest/sim/1.0/oauth2/clients`,
      {
        method: 'POST',
        json: { name: 'Testbridge', redirectUris: [callback] },
      },
    );
    const admin = sim.ctx.findUser('admin')!;
    const auth = basic(admin.emailAddress, admin.apiToken);
    const params = {
      audience: 'api.atlassian.com',
      client_id: client.body.clientId,
      scope,
      redirect_uri: callback,
      state: 's',
      response_type: 'code',
      prompt: 'consent',
    };
    let location: string | null;
    const page = await fetch(`${sim.url}/authorize?${new URLSearchParams(params)}`, {
      headers: auth,
      redirect: 'manual',
    });
    if (page.status === 302) location = page.headers.get('location');
    else {
      const approved = await fetch(`${sim.url}/authorize`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...params, approve: 'Accept' }),
        redirect: 'manual',
      });
      location = approved.headers.get('location');
    }
    const code = new URL(location!).searchParams.get('code')!;
    const token = await call<{ access_token: string }>(`${sim.url}/oauth/token`, {
      method: 'POST',
      json: {
        grant_type: 'authorization_code',
        client_id: client.body.clientId,
        client_secret: client.body.clientSecret,
        code,
        redirect_uri: callback,
      },
    });
    return token.body.access_token;
  }

  it('registers a dynamic webhook through /ex/jira and receives matching issue events', async () => {
    receiver.received.length = 0;
    const token = await grant('read:jira-work write:jira-work manage:jira-webhook');
    const bearer = { authorization: `Bearer ${token}` };
    const gateway = `${sim.url}/ex/jira/${sim.cloudId}/rest/api/3`;
    const registered = await call<{ webhookRegistrationResult: J[] }>(`${gateway}/webhook`, {
      method: 'POST',
      headers: bearer,
      json: {
        url: `${receiver.url}/dynamic`,
        webhooks: [{ events: ['jira:issue_created'], jqlFilter: 'project = SIM' }],
      },
    });
    expect(registered.body.webhookRegistrationResult).toEqual([{ createdWebhookId: expect.any(Number) }]);
    // Basic-auth users are not apps.
    const admin = sim.ctx.findUser('admin')!;
    expect(
      (await call(`${sim.url}/rest/api/3/webhook`, { headers: basic(admin.emailAddress, admin.apiToken) }))
        .status,
    ).toBe(403);

    const created = await call<J>(`${gateway}/issue`, {
      method: 'POST',
      headers: bearer,
      json: {
        fields: {
          project: { key: 'SIM' },
          issuetype: { name: 'Task' },
          summary: 'Via gateway',
          description: {
            type: 'doc',
            version: 1,
            content: [{ type: 'paragraph', content: [{ type: 'text', text: 'ADF body' }] }],
          },
        },
      },
    });
    expect(created.status).toBe(201);
    await receiver.waitFor(1);
    const body = JSON.parse(receiver.received[0]!.body) as { issue: { key: string; fields: J }; user: J };
    expect(body.issue.key).toBe(created.body.key);
    expect(body.issue.fields.description).toBe('ADF body');
    expect(body.user.accountId).toBe(admin.accountId);
    expect(body.user.name).toBeUndefined();

    const search = await call<{ issues: J[]; isLast: boolean }>(
      `${gateway}/search/jql?jql=${encodeURIComponent('project = SIM ORDER BY created DESC')}&fields=summary&maxResults=1`,
      { headers: bearer },
    );
    expect(search.body.issues[0]).toMatchObject({
      key: created.body.key,
      fields: { summary: 'Via gateway' },
    });
    expect(search.body.isLast).toBe(false);
    expect((await call(`${gateway}/search?jql=project=SIM`, { headers: bearer })).status).toBe(410);
  });
});
