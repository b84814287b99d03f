/**
 * Live sync under webhook faults, against jira-sim over real HTTP: after an import, Jira
 * changes (edits in bursts, retype, move, delete, version release/merge/create) reach
 * Testbridge through deliveries that jira-sim drops, duplicates, delays and reorders, with
 * 429s and 5xx on Jira's API. Duplicates must be stored once, older states must never win,
 * and after one reconciliation Testbridge must equal jira-sim's export field by field.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import { loadConfig } from '../../src/config/config.js';
import type { SyncDeps } from '../../src/integration/mappings-calls.js';
import { apiCallCounts } from '../../src/integration/mappings-calls.js';
import { getMapping } from '../../src/integration/mappings-model.js';
import { insertTestMapping } from '../../src/integration/mappings-testing.js';
import { ensureWebhook } from '../../src/integration/webhooks.js';
import { createLogger } from '../../src/log.js';
import { createApp } from '../../src/server/app.js';
import { webhooksReceiverRoutes } from '../../src/server/routes/webhooks-receiver.js';
import { describeEachDialect } from '../../src/store/testing.js';
import { Vault } from '../../src/store/vault.js';
import { runImport } from '../../src/sync/import.js';
import { reconcileMapping } from '../../src/sync/reconcile.js';
import { InboxWorker } from '../../src/sync/worker.js';
import {
  type AdminCredentials,
  adminCredentials,
  differences,
  exportProject,
  jira,
  simClient,
  simJson,
  startSim,
} from './sync-support.js';

type Delivery = { identifier: string; state: string; duplicated: boolean; event: string };

describeEachDialect('live sync under webhook faults (dc10, signed)', (getStore) => {
  let sim: JiraSim;
  let creds: AdminCredentials;
  let server: ReturnType<typeof serve>;
  let deps: SyncDeps;

  beforeAll(async () => {
    sim = await startSim('dc10', 80);
    creds = await adminCredentials(sim);
    const store = getStore();
    const vault = new Vault(randomBytes(32));
    const logger = createLogger('silent');
    const config = loadConfig({ dataDir: '/tmp', port: 0 }, {});
    const app = createApp({ config, logger, store, vault }, { registrars: [webhooksReceiverRoutes()] });
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    deps = {
      store,
      vault,
      logger,
      config: { publicUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
      clientFor: async (_id, o) =>
        simClient(sim, creds, {
          ...(o.onCall ? { onCall: o.onCall } : {}),
          ...(o.reason ? { reason: o.reason } : {}),
        }),
      sync: { importRetryBaseMs: 10 },
    };
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await sim?.close();
  });

  it('stores duplicates once, never lets an older state win, and converges after a reconcile', async () => {
    const db = deps.store.db;
    const demo = await exportProject(sim, 'DEMO');
    let mapping = await insertTestMapping(db, {
      jiraInstanceId: `faults-${randomBytes(3).toString('hex')}`,
      jiraProjectId: String(demo.id),
      jiraProjectKey: 'DEMO',
    });
    await db
      .updateTable('sync_mappings')
      .set({ webhook_mode: 'automatic' })
      .where('id', '=', mapping.id)
      .execute();
    mapping = await getMapping(db, mapping.id);
    expect((await ensureWebhook(deps, mapping.id)).state).toBe('active');
    expect((await runImport(deps, mapping.id)).state).toBe('done');
    expect(await differences(db, sim, mapping, 'DEMO')).toEqual([]);
    await simJson(sim, 'DELETE', '/webhook-deliveries');

    await simJson(sim, 'PUT', '/faults', {
      webhooks: { drop: 0.15, duplicate: 0.4, delayMs: 2, reorder: true },
    });
    const typeOf = (i: (typeof demo.issues)[number]) => (i.fields.issuetype as { name: string }).name;
    const stories = demo.issues.filter((i) => typeOf(i) === 'Story');
    const bug = demo.issues.find((i) => typeOf(i) === 'Bug');
    const [burst, retyped, moved, deleted, labelled] = stories;
    if (!burst || !retyped || !moved || !deleted || !labelled || !bug)
      throw new Error('seed lacks stories/bugs');
    // A burst of edits to one issue: the last summary must win whatever the delivery order.
    for (let n = 1; n <= 8; n++)
      await jira(sim, creds, 'PUT', `/rest/api/2/issue/${burst.id}`, { fields: { summary: `Burst ${n}` } });
    await jira(sim, creds, 'PUT', `/rest/api/2/issue/${labelled.id}`, { fields: { labels: ['a', 'b'] } });
    await jira(sim, creds, 'PUT', `/rest/api/2/issue/${bug.id}`, { fields: { summary: 'Bug edited' } });
    await jira(sim, creds, 'PUT', `/rest/api/2/issue/${retyped.id}`, {
      fields: { issuetype: { name: 'Task' } },
    });
    await simJson(sim, 'POST', `/issues/${moved.id}/move`, { projectKey: 'SIM' });
    await jira(sim, creds, 'DELETE', `/rest/api/2/issue/${deleted.id}`);
    const [v1, v2, v3] = demo.versions as { id: string }[];
    if (!v1 || !v2 || !v3) throw new Error('seed lacks versions');
    await jira(sim, creds, 'PUT', `/rest/api/2/version/${v3.id}`, {
      released: true,
      releaseDate: '2026-12-01',
    });
    await jira(sim, creds, 'PUT', `/rest/api/2/version/${v1.id}/mergeto/${v2.id}`);
    await jira(sim, creds, 'POST', '/rest/api/2/version', { projectId: Number(demo.id), name: '4.0' });
    const created = await jira<{ id: string }>(sim, creds, 'POST', '/rest/api/2/issue', {
      fields: { project: { key: 'DEMO' }, issuetype: { name: 'Story' }, summary: 'Born during faults' },
    });
    await simJson(sim, 'POST', '/webhook-deliveries/flush');

    // The worker meets 429s and 5xx on Jira's API while it refetches versions.
    await simJson(sim, 'PUT', '/faults', {
      rateLimit: { count: 1, retryAfterSeconds: 0 },
      serverError: { count: 1, status: 503 },
      paths: 'version',
    });
    const worker = new InboxWorker(deps, { retryBaseMs: 1, retryMaxMs: 5 });
    for (let i = 0; i < 6; i++) {
      await worker.drain();
      await new Promise((r) => setTimeout(r, 10));
    }
    await simJson(sim, 'DELETE', '/faults');

    const log = (await simJson<{ deliveries: Delivery[] }>(sim, 'GET', '/webhook-deliveries')).deliveries;
    const delivered = log.filter((d) => d.state === 'delivered');
    expect(log.some((d) => d.duplicated)).toBe(true);
    expect(log.some((d) => d.state === 'dropped')).toBe(true);
    const rows = await db
      .selectFrom('sync_deliveries')
      .selectAll()
      .where('mapping_id', '=', mapping.id)
      .execute();
    // Each delivered identifier is one row, duplicates included.
    expect(rows).toHaveLength(delivered.length);
    expect(new Set(rows.map((r) => r.delivery_key)).size).toBe(rows.length);
    expect(rows.filter((r) => r.state === 'failed' || r.state === 'parked')).toEqual([]);

    const burstRow = await db
      .selectFrom('tm_issues')
      .selectAll()
      .where('jira_issue_id', '=', String(burst.id))
      .executeTakeFirstOrThrow();
    // Reordered: if the last edit got through, it won, whatever arrived after it.
    const bodies = (
      await simJson<{ deliveries: (Delivery & { body: string })[] }>(
        sim,
        'GET',
        '/webhook-deliveries?body=true',
      )
    ).deliveries;
    const lastArrived = bodies.some((d) => d.state === 'delivered' && d.body.includes('"summary":"Burst 8"'));
    if (lastArrived) expect(burstRow.summary).toBe('Burst 8');
    else expect(burstRow.summary).not.toBe('Burst 8');

    // Dropped deliveries and the move out of the project are what reconciliation is for.
    const r = await reconcileMapping(deps, mapping.id, { idScan: true });
    expect(r.error).toBeUndefined();
    expect(await differences(db, sim, mapping, 'DEMO')).toEqual([]);
    const fresh = await db
      .selectFrom('tm_issues')
      .select('summary')
      .where('jira_issue_id', '=', String(created.id))
      .executeTakeFirstOrThrow();
    expect(fresh.summary).toBe('Born during faults');
    const calls = await apiCallCounts(db, mapping.id);
    expect(calls.byReason['webhook-check']?.calls).toBeGreaterThan(0);
  });

  it('converges from webhooks alone when nothing is dropped (no reconcile)', async () => {
    const db = deps.store.db;
    const project = await exportProject(sim, 'SIM');
    let mapping = await insertTestMapping(db, {
      jiraInstanceId: `faults2-${randomBytes(3).toString('hex')}`,
      jiraProjectId: String(project.id),
      jiraProjectKey: 'SIM',
    });
    await db
      .updateTable('sync_mappings')
      .set({ webhook_mode: 'automatic' })
      .where('id', '=', mapping.id)
      .execute();
    mapping = await getMapping(db, mapping.id);
    await ensureWebhook(deps, mapping.id);
    expect((await runImport(deps, mapping.id)).state).toBe('done');
    await simJson(sim, 'PUT', '/faults', {
      webhooks: { drop: 0, duplicate: 0.5, delayMs: 1, reorder: true },
    });
    const stories = project.issues.filter((i) => (i.fields.issuetype as { name: string }).name === 'Story');
    for (const [n, s] of stories.slice(0, 5).entries()) {
      for (let k = 0; k < 3; k++)
        await jira(sim, creds, 'PUT', `/rest/api/2/issue/${s.id}`, {
          fields: { summary: `S${n} edit ${k}` },
        });
    }
    const first = stories[0];
    if (first) await jira(sim, creds, 'DELETE', `/rest/api/2/issue/${first.id}`);
    await jira(sim, creds, 'POST', '/rest/api/2/issue', {
      fields: {
        project: { key: 'SIM' },
        issuetype: { name: 'Bug' },
        summary: 'New bug',
        description: 'Steps',
      },
    });
    await simJson(sim, 'POST', '/webhook-deliveries/flush');
    await simJson(sim, 'DELETE', '/faults');
    const worker = new InboxWorker(deps);
    const report = await worker.drain();
    expect(report.failed + report.parked).toBe(0);
    expect(await differences(db, sim, mapping, 'SIM')).toEqual([]);
  });
});
