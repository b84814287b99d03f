import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accountsRoutes } from '../accounts/routes.js';
import { insertTestMapping } from '../integration/mappings-testing.js';
import type { Mapping } from '../integration/mappings-model.js';
import { webhookSecretContext } from '../integration/webhooks-secret.js';
import { basicAuth, JiraClient } from '../jira/index.js';
import { jsonResponse } from '../jira/test-support.js';
import { webhooksReceiverRoutes } from '../server/routes/webhooks-receiver.js';
import { createTestApp, type TestApp } from '../server/testing.js';
import { describeEachDialect } from '../store/testing.js';
import { deliveryKey, inboxHealth, retryDelivery } from './inbox.js';
import { inboxRoutes } from './inbox-routes.js';
import { classifyDelivery, InboxWorker } from './worker.js';

const FIXTURES = '/work/shared/fixtures/jira-webhooks';
const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((name) => ({ name, body: readFileSync(join(FIXTURES, name), 'utf8') }));

const sign = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

it('has the captured fixtures to test against', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(30);
});

it('classifies Server payloads without issue_event_type_name, comments without issue and post-functions', () => {
  const issue = { id: '1', key: 'P-1', fields: { updated: '2026-01-01T00:00:00.000+0000' } };
  expect(classifyDelivery(JSON.stringify({ webhookEvent: 'jira:issue_updated', issue }))).toMatchObject({
    kind: 'issue',
    issueId: '1',
    updated: '2026-01-01T00:00:00.000Z',
  });
  expect(classifyDelivery(JSON.stringify({ issue }))).toMatchObject({
    kind: 'issue',
    event: 'jira:issue_updated',
  });
  expect(
    classifyDelivery(JSON.stringify({ webhookEvent: 'comment_created', comment: { id: '9' } })),
  ).toMatchObject({
    kind: 'ignore',
    reason: expect.stringMatching(/Comments are not synced/),
  });
  expect(classifyDelivery('not json')).toMatchObject({ kind: 'ignore', reason: 'The body is not JSON.' });
  expect(classifyDelivery('[]')).toMatchObject({ kind: 'ignore' });
  expect(
    classifyDelivery(
      JSON.stringify({ webhookEvent: 'jira:version_deleted', version: { id: 5 }, mergedTo: { id: 6 } }),
    ),
  ).toMatchObject({ kind: 'version', versionId: '5', mergedTo: '6' });
});

it('names a delivery by Jira identifier, else by a hash of the body', () => {
  expect(deliveryKey('abc', 'x')).toBe('id:abc');
  expect(deliveryKey(undefined, 'x')).toBe(deliveryKey(undefined, 'x'));
  expect(deliveryKey(undefined, 'x')).not.toBe(deliveryKey(undefined, 'y'));
});

describeEachDialect('webhook receiver and inbox', (getStore) => {
  let t: TestApp;
  let open: Mapping;
  let sealed: Mapping;
  const SECRET = 'hook-secret-for-tests';
  const refetches: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      store: getStore(),
      registrars: [accountsRoutes(), webhooksReceiverRoutes({ maxBodyBytes: 256 * 1024 }), inboxRoutes()],
    });
    // The fixtures' project: Story is a requirement, Bug a defect; Task and Improvement are not synced.
    open = await insertTestMapping(t.store.db, { jiraProjectId: '10000' });
    sealed = await insertTestMapping(t.store.db, { jiraProjectId: '10001' });
    await t.store.db
      .updateTable('sync_mappings')
      .set({ webhook_secret_sealed: t.vault.seal(SECRET, webhookSecretContext(sealed.id)) })
      .where('id', '=', sealed.id)
      .execute();
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (token: string, body: string, headers: Record<string, string> = {}) =>
    t.app.request(`/webhooks/jira/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const rows = (mappingId: string) =>
    t.store.db.selectFrom('sync_deliveries').selectAll().where('mapping_id', '=', mappingId).execute();

  const worker = () =>
    new InboxWorker(
      {
        store: t.store,
        vault: t.vault,
        logger: t.logger,
        config: t.config,
        clientFor: async () =>
          new JiraClient({
            jiraUrl: 'http://127.0.0.1:9',
            auth: basicAuth({ username: 'u', password: 'p' }),
            deployment: { cloud: false, deploymentType: 'Server', major: 9, minor: 12 },
            fetch: async (url) => {
              refetches.push(String(url));
              return jsonResponse(404, {
                errorMessages: ['Issue does not exist or you do not have permission to see it.'],
              });
            },
          }),
      },
      { retryBaseMs: 1 },
    );

  it('accepts every captured Jira payload, then applies it or keeps it with a reason', async () => {
    for (const f of fixtures) {
      const res = await post(open.webhookToken, f.body, { 'x-atlassian-webhook-identifier': `fx-${f.name}` });
      expect(res.status, f.name).toBe(202);
    }
    expect(await rows(open.id)).toHaveLength(fixtures.length);
    const report = await worker().drain();
    expect(report.claimed).toBe(fixtures.length);
    const done = await rows(open.id);
    for (const r of done) {
      expect(['applied', 'ignored'], `${r.event} ${r.last_error}`).toContain(r.state);
      expect(r.reason, r.event ?? '').toBeTruthy();
    }
    // Comment events are kept with their reason; issue events of project 10000 created the Story.
    expect(done.filter((r) => r.event?.startsWith('comment_')).every((r) => r.state === 'ignored')).toBe(
      true,
    );
    const story = await t.store.db
      .selectFrom('tm_issues')
      .selectAll()
      .where('jira_issue_id', '=', '10040')
      .executeTakeFirstOrThrow();
    expect(story.kind).toBe('requirement');
    // The newest of the coalesced states of issue 10040 won.
    expect(story.jira_updated).toBe('2019-02-16T21:15:16.037Z');
    // The assigned payload has no `updated`: it was refetched (404 here: treated as gone).
    expect(refetches.some((u) => u.includes('/rest/api/2/issue/10001'))).toBe(true);
    const mapping = await t.store.db
      .selectFrom('sync_mappings')
      .select(['webhook_verified_at', 'webhook_state', 'last_delivery_at'])
      .where('id', '=', open.id)
      .executeTakeFirstOrThrow();
    expect(mapping.webhook_state).toBe('verified');
    expect(mapping.webhook_verified_at).toBeTruthy();
    expect(mapping.last_delivery_at).toBeTruthy();
  });

  it('stores a delivery once whatever the number of duplicates (same identifier, or same body without one)', async () => {
    const body = fixtures[0]?.body ?? '{}';
    const before = (await rows(open.id)).length;
    const results = await Promise.all([
      post(open.webhookToken, body, { 'x-atlassian-webhook-identifier': 'dup-1' }),
      post(open.webhookToken, body, { 'x-atlassian-webhook-identifier': 'dup-1' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 202]);
    expect((await post(open.webhookToken, body, { 'x-atlassian-webhook-identifier': 'dup-1' })).status).toBe(
      200,
    );
    const noId = JSON.stringify({ webhookEvent: 'jira:issue_updated', timestamp: 1 });
    expect((await post(open.webhookToken, noId)).status).toBe(202);
    expect((await post(open.webhookToken, noId)).status).toBe(200);
    expect(await rows(open.id)).toHaveLength(before + 2);
  });

  it('rejects unknown tokens, forged and unsigned deliveries to a mapping with a secret, storing nothing', async () => {
    const body = JSON.stringify({ webhookEvent: 'jira:issue_deleted', issue: { id: '1' } });
    const unknown = await post('A'.repeat(32), body);
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('webhook_unauthorized');
    expect((await post(sealed.webhookToken, body)).status).toBe(401);
    expect((await post(sealed.webhookToken, body, { 'x-hub-signature': sign('wrong', body) })).status).toBe(
      401,
    );
    expect(
      (await post(sealed.webhookToken, body, { 'x-hub-signature': sign(SECRET, `${body} `) })).status,
    ).toBe(401);
    expect((await post(sealed.webhookToken, body, { 'x-hub-signature': 'sha256=zz' })).status).toBe(401);
    expect(await rows(sealed.id)).toHaveLength(0);
    expect((await post(sealed.webhookToken, body, { 'x-hub-signature': sign(SECRET, body) })).status).toBe(
      202,
    );
    expect(await rows(sealed.id)).toHaveLength(1);
    // The token never reaches the log.
    expect(t.logs.join('\n')).not.toContain(sealed.webhookToken);
  });

  it('answers 401 (not 5xx) for a mapping removed while its token was cached, without failing its neighbours', async () => {
    const gone = await insertTestMapping(t.store.db, { jiraProjectId: '30000' });
    const body = JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: '5' } });
    expect((await post(gone.webhookToken, body, { 'x-atlassian-webhook-identifier': 'g-1' })).status).toBe(
      202,
    );
    await t.store.db.deleteFrom('sync_mappings').where('id', '=', gone.id).execute();
    const [late, neighbour] = await Promise.all([
      post(gone.webhookToken, body, { 'x-atlassian-webhook-identifier': 'g-2' }),
      post(open.webhookToken, body, { 'x-atlassian-webhook-identifier': 'n-1' }),
    ]);
    expect(late.status).toBe(401);
    expect(neighbour.status).toBe(202);
  });

  it('never answers 5xx to hostile bodies, headers or tokens, and the worker keeps what it cannot use with a reason', async () => {
    const m = await insertTestMapping(t.store.db, { jiraProjectId: '40000' });
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
        fc.option(fc.string({ maxLength: 100 }), { nil: undefined }),
        fc.boolean(),
        async (bytes, identifier, signature, goodToken) => {
          const headers: Record<string, string> = {};
          const clean = (v: string) => v.replace(/[^\x20-\x7e]/g, '');
          if (identifier !== undefined) headers['x-atlassian-webhook-identifier'] = clean(identifier);
          if (signature !== undefined) headers['x-hub-signature'] = clean(signature);
          const res = await t.app.request(`/webhooks/jira/${goodToken ? m.webhookToken : 'x'.repeat(40)}`, {
            method: 'POST',
            headers,
            body: bytes,
          });
          expect([200, 202, 401]).toContain(res.status);
        },
      ),
      { numRuns: 60 },
    );
    await worker().drain();
    const kept = await rows(m.id);
    expect(kept.length).toBeGreaterThan(0);
    for (const r of kept) {
      expect(['applied', 'ignored']).toContain(r.state);
      expect(r.reason).toBeTruthy();
    }
  });

  it('refuses a body over the cap with 413 and keeps nothing', async () => {
    const before = (await rows(open.id)).length;
    const big = JSON.stringify({ webhookEvent: 'jira:issue_updated', pad: 'x'.repeat(300 * 1024) });
    expect((await post(open.webhookToken, big)).status).toBe(413);
    expect(await rows(open.id)).toHaveLength(before);
  });

  it('retries a failing delivery with backoff, parks it after the last attempt, and retries it on request', async () => {
    const m = await insertTestMapping(t.store.db, { jiraProjectId: '20000' });
    const body = JSON.stringify({
      webhookEvent: 'jira:version_created',
      version: { id: '7', name: 'v1', projectId: 20000 },
    });
    expect((await post(m.webhookToken, body)).status).toBe(202);
    // Jira answers 404 to the versions list: the delivery fails each time.
    const w = new InboxWorker(
      {
        store: t.store,
        vault: t.vault,
        logger: t.logger,
        config: t.config,
        clientFor: async () =>
          new JiraClient({
            jiraUrl: 'http://127.0.0.1:9',
            auth: basicAuth({ username: 'u', password: 'p' }),
            retry: { maxRetries: 0 },
            deployment: { cloud: false, deploymentType: 'Server', major: 9, minor: 12 },
            fetch: async () => jsonResponse(500, { errorMessages: ['boom'] }),
          }),
      },
      { retryBaseMs: 1, retryMaxMs: 1, maxAttempts: 3 },
    );
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await w.drain();
    }
    const [row] = await rows(m.id);
    expect(row?.state).toBe('parked');
    expect(row?.attempts).toBe(3);
    expect(row?.last_error).toBeTruthy();
    const parked = await t.admin.json<{
      health: { parked: number };
      deliveries: { id: string; lastError: string }[];
    }>('GET', `/api/mappings/${m.id}/inbox?state=parked`);
    expect(parked.status).toBe(200);
    expect(parked.body.health.parked).toBe(1);
    expect(parked.body.deliveries.map((d) => d.id)).toEqual([row?.id]);
    expect((await t.admin.json('GET', `/api/mappings/${m.id}/inbox?state=bogus`)).status).toBe(400);
    const tester = await t.signedIn('tester');
    expect((await tester.client.json('GET', `/api/mappings/${m.id}/inbox`)).status).toBe(403);
    const retried = await t.admin.json<{ delivery: { state: string; attempts: number } }>(
      'POST',
      `/api/mappings/${m.id}/inbox/${row?.id}/retry`,
    );
    expect(retried.body.delivery).toMatchObject({ state: 'received', attempts: 0 });
    expect((await inboxHealth(t.store.db, m.id)).depth).toBe(1);
    expect((await t.admin.json('POST', `/api/mappings/${m.id}/inbox/nope/retry`)).status).toBe(404);
    const again = await retryDelivery(t.store.db, m.id, row?.id ?? '', new Date().toISOString());
    expect(again).toMatchObject({ state: 'received', attempts: 0 });
  });
});
