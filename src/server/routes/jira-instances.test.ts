import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';

type ErrorJson = { error: { code: string; message: string; hint?: string } };

describe('/api/jira/instances', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is for administrators only', async () => {
    expect((await t.anonymous().json('GET', '/api/jira/instances')).status).toBe(401);
    const { client } = await t.signedIn('tester');
    const res = await client.json<ErrorJson>('POST', '/api/jira/instances', {});
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  it('answers bad requests with the error shape, never a 5xx', async () => {
    const notJson = await t.admin.request('/api/jira/instances', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as ErrorJson).error.code).toBe('invalid_json');

    const missing = await t.admin.json<ErrorJson>('POST', '/api/jira/instances', { name: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/jiraUrl/);

    const unknownField = await t.admin.json<ErrorJson>('POST', '/api/jira/instances', {
      name: 'x',
      jiraUrl: 'https://jira.example.com',
      auth: { mode: 'pat', token: 'abc' },
      color: 'red',
    });
    expect(unknownField.status).toBe(400);

    const unknown = await t.admin.json<ErrorJson>('GET', '/api/jira/instances/no-such-id');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.hint).toMatch(/List the instances/);
  });

  it('lists in the shape the UI reads, and refuses what an auth mode cannot do', async () => {
    const created = await t.admin.json<{ instance: { id: string } }>('POST', '/api/jira/instances', {
      name: 'Unreachable PAT',
      jiraUrl: 'http://127.0.0.1:1',
      auth: { mode: 'pat', token: 'pat-value-5150' },
    });
    expect(created.status).toBe(201);
    expect(created.res.headers.get('cache-control')).toBe('no-store');
    const id = created.body.instance.id;
    const list = await t.admin.json<{ instances: Record<string, unknown>[] }>('GET', '/api/jira/instances');
    const item = list.body.instances.find((i) => i.id === id)!;
    expect(item).toMatchObject({
      name: 'Unreachable PAT',
      baseUrl: 'http://127.0.0.1:1',
      authMode: 'pat',
      mappings: 0,
    });
    expect(item.status).toBe('failing');
    expect(item.lastDiagnostics).toMatchObject({ ok: false });
    expect(JSON.stringify(list.body)).not.toContain('pat-value-5150');

    const authorize = await t.admin.json<ErrorJson>('POST', `/api/jira/instances/${id}/authorize`, {});
    expect(authorize.status).toBe(409);
    expect(authorize.body.error.code).toBe('jira_auth_mode_mismatch');
    const link = await t.admin.json<ErrorJson>('GET', `/api/jira/instances/${id}/application-link`);
    expect(link.status).toBe(409);
    const verify = await t.admin.json<ErrorJson>('POST', `/api/jira/instances/${id}/verify`, {
      verifier: 'abc',
    });
    expect(verify.status).toBe(400);
    expect(verify.body.error.code).toBe('oauth_authorization_unknown');
    const badProject = await t.admin.json<ErrorJson>('POST', `/api/jira/instances/${id}/diagnostics`, {
      projectKeys: ['not a key'],
    });
    expect(badProject.status).toBe(400);

    expect((await t.admin.request(`/api/jira/instances/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.admin.json('GET', `/api/jira/instances/${id}`)).status).toBe(404);
    expect(t.logs.join('\n')).not.toContain('pat-value-5150');
  });

  it('never answers hostile input with a 5xx', async () => {
    // Only loopback addresses that refuse connections: the fuzz must not reach any real host.
    const local = fc.constantFrom(
      'http://127.0.0.1:1',
      'https://127.0.0.1:1/jira/',
      'http://[::1]:1',
      'ftp://127.0.0.1',
    );
    const auth = fc.oneof(
      fc.record(
        {
          mode: fc.constantFrom('oauth1', 'pat', 'basic', 'oauth2-dc', 'oauth2-cloud', 'x'),
          consumerKey: fc.string(),
          token: fc.string(),
          username: fc.string(),
          password: fc.string(),
          clientId: fc.string(),
          clientSecret: fc.string(),
          privateKey: fc.string(),
        },
        { requiredKeys: ['mode'] },
      ),
      fc.anything(),
    );
    const body = fc.oneof(
      fc.record(
        {
          name: fc.string(),
          jiraUrl: fc.oneof(local, fc.string()),
          baseUrl: fc.oneof(fc.webUrl(), fc.string()),
          proxyUrl: fc.oneof(local, fc.string()),
          tls: fc.record({ verify: fc.boolean(), caPem: fc.string() }, { requiredKeys: [] }),
          auth,
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await t.admin.json('POST', '/api/jira/instances', b);
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('oauth_token', 'oauth_verifier', 'state', 'code', 'error', 'x'),
          fc.string(),
        ),
        async (q) => {
          const res = await t.admin.request(`/oauth/callback?${new URLSearchParams(q)}`);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers a bare visit to the callback with a page that says what to do', async () => {
    const res = await t.admin.request('/oauth/callback');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toMatch(/not an OAuth callback from Jira/);
  });
});
