/**
 * The webhook lifecycle against jira-sim, per flavour: one webhook per mapping with exactly
 * the seed's events plus issue created, found again rather than duplicated, repaired after it
 * is deleted or changed in Jira, removed with the mapping; and live deliveries from jira-sim
 * over real HTTP into the receiver (signed where Jira supports a secret) and through the worker.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import type { SyncDeps } from '../../src/integration/mappings-calls.js';
import { getMapping, type Mapping } from '../../src/integration/mappings-model.js';
import { insertTestMapping } from '../../src/integration/mappings-testing.js';
import {
  checkWebhooks,
  ensureWebhook,
  MAPPING_WEBHOOK_EVENTS,
  manualWebhookInstructions,
  removeWebhook,
  webhookUrl,
} from '../../src/integration/webhooks.js';
import { createLogger } from '../../src/log.js';
import { createApp } from '../../src/server/app.js';
import { webhooksReceiverRoutes } from '../../src/server/routes/webhooks-receiver.js';
import { Vault } from '../../src/store/vault.js';
import { createTestStore, type TestStore } from '../../src/store/testing.js';
import { InboxWorker } from '../../src/sync/worker.js';
import { loadConfig } from '../../src/config/config.js';
import {
  type AdminCredentials,
  adminCredentials,
  type Flavor,
  jira,
  projectId,
  simClient,
  simJson,
  startSim,
} from './sync-support.js';

const SEED_EVENTS = [
  'jira:issue_updated',
  'jira:issue_deleted',
  'jira:version_released',
  'jira:version_unreleased',
  'jira:version_created',
  'jira:version_moved',
  'jira:version_updated',
  'jira:version_deleted',
  'project_updated',
  'project_deleted',
];

type Hook = {
  id?: number;
  name: string;
  url: string;
  events: string[];
  enabled?: boolean;
  active?: boolean;
  filters?: Record<string, string>;
  configuration?: Record<string, string>;
  self: string;
};

const FLAVORS: { flavor: Flavor; path: string; signed: boolean }[] = [
  { flavor: 'server', path: '/rest/webhooks/1.0/webhook', signed: false },
  { flavor: 'dc10', path: '/rest/jira-webhook/1.0/webhooks', signed: true },
  { flavor: 'cloud', path: '/rest/webhooks/1.0/webhook', signed: true },
];

for (const { flavor, path, signed } of FLAVORS) {
  describe(`Jira webhook lifecycle and live deliveries (${flavor})`, () => {
    let sim: JiraSim;
    let creds: AdminCredentials;
    let store: TestStore;
    let deps: SyncDeps;
    let mapping: Mapping;
    let other: Mapping;
    let server: ReturnType<typeof serve>;
    let demoId: string;

    beforeAll(async () => {
      sim = await startSim(flavor);
      creds = await adminCredentials(sim);
      store = await createTestStore('sqlite');
      const vault = new Vault(randomBytes(32));
      const logger = createLogger('silent');
      const config = loadConfig({ dataDir: '/tmp', port: 0 }, {});
      const app = createApp({ config, logger, store, vault }, { registrars: [webhooksReceiverRoutes()] });
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      const port = (server.address() as AddressInfo).port;
      deps = {
        store,
        vault,
        logger,
        config: { publicUrl: `http://127.0.0.1:${port}` },
        clientFor: async (_id, o) => simClient(sim, creds, o),
      };
      demoId = await projectId(sim, 'DEMO');
      mapping = await insertTestMapping(store.db, { jiraProjectId: demoId, jiraProjectKey: 'DEMO' });
      other = await insertTestMapping(store.db, {
        jiraProjectId: await projectId(sim, 'SIM'),
        jiraProjectKey: 'SIM',
      });
      await store.db
        .updateTable('sync_mappings')
        .set({ webhook_mode: 'automatic' })
        .where('id', 'in', [mapping.id, other.id])
        .execute();
      mapping = await getMapping(store.db, mapping.id);
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await sim?.close();
      await store?.cleanup();
    });

    const hooks = () => jira<Hook[]>(sim, creds, 'GET', path);
    const ours = async (m: Mapping) => (await hooks()).filter((h) => h.url === webhookUrl(deps, m));
    const jqlOf = (h: Hook) => h.filters?.['issue-related-events-section'] ?? h.configuration?.FILTERS;
    const idOf = (h: Hook) => String(h.id ?? h.self.split('/').pop());

    it('creates one webhook per mapping with exactly the seed events plus issue created and the project filter', async () => {
      const first = await ensureWebhook(deps, mapping.id);
      expect(first).toMatchObject({ state: 'active', registration: 'admin', action: 'created' });
      expect((await ensureWebhook(deps, other.id)).action).toBe('created');
      const [hook, ...more] = await ours(mapping);
      expect(more).toHaveLength(0);
      expect(hook).toBeDefined();
      expect([...(hook?.events ?? [])].sort()).toEqual([...SEED_EVENTS, 'jira:issue_created'].sort());
      expect([...MAPPING_WEBHOOK_EVENTS].sort()).toEqual([...SEED_EVENTS, 'jira:issue_created'].sort());
      expect(jqlOf(hook as Hook)).toBe(`project = ${demoId}`);
      expect(hook?.enabled ?? hook?.active).toBe(true);
      expect(hook?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/jira\/[\w-]{20,}$/);
      // Running it again finds it by URL: no duplicate.
      expect((await ensureWebhook(deps, mapping.id)).action).toBe('unchanged');
      expect(await ours(mapping)).toHaveLength(1);
      expect(await hooks()).toHaveLength(2);
      const row = await store.db
        .selectFrom('sync_mappings')
        .selectAll()
        .where('id', '=', mapping.id)
        .executeTakeFirstOrThrow();
      expect(row.jira_webhook_id).toBe(idOf(hook as Hook));
      expect(row.webhook_secret_sealed !== null).toBe(signed);
    });

    it('recreates the webhook after it is deleted in Jira', async () => {
      const [hook] = await ours(mapping);
      await jira(sim, creds, 'DELETE', `${path}/${idOf(hook as Hook)}`);
      expect(await ours(mapping)).toHaveLength(0);
      const results = await checkWebhooks(deps);
      expect(results.find((r) => r.mappingId === mapping.id)).toMatchObject({
        action: 'repaired',
        state: 'active',
      });
      expect(results.find((r) => r.mappingId === other.id)?.action).toBe('unchanged');
      expect(await ours(mapping)).toHaveLength(1);
    });

    it('repairs a webhook whose events, filter or state were changed in Jira, and removes a duplicate', async () => {
      const [hook] = await ours(mapping);
      const body =
        flavor === 'dc10'
          ? {
              name: 'x',
              url: hook?.url,
              events: ['jira:issue_updated'],
              active: false,
              configuration: { FILTERS: '' },
            }
          : {
              name: 'x',
              url: hook?.url,
              events: ['jira:issue_updated'],
              enabled: false,
              filters: { 'issue-related-events-section': '' },
            };
      await jira(sim, creds, 'PUT', `${path}/${idOf(hook as Hook)}`, body);
      // Someone also added a second copy by hand.
      await jira(sim, creds, 'POST', path, body);
      expect(await ours(mapping)).toHaveLength(2);
      expect((await ensureWebhook(deps, mapping.id)).action).toBe('repaired');
      const fixed = await ours(mapping);
      expect(fixed).toHaveLength(1);
      expect([...(fixed[0]?.events ?? [])].sort()).toEqual([...MAPPING_WEBHOOK_EVENTS].sort());
      expect(jqlOf(fixed[0] as Hook)).toBe(`project = ${demoId}`);
      expect(fixed[0]?.enabled ?? fixed[0]?.active).toBe(true);
    });

    it('delivers issue changes from Jira through the receiver and the worker', async () => {
      const created = await jira<{ id: string; key: string }>(sim, creds, 'POST', '/rest/api/2/issue', {
        fields: { project: { key: 'DEMO' }, issuetype: { name: 'Story' }, summary: 'Hooked story' },
      });
      await jira(sim, creds, 'PUT', `/rest/api/2/issue/${created.id}`, {
        fields: { summary: 'Renamed story' },
      });
      await simJson(sim, 'POST', '/webhook-deliveries/flush');
      const log = await simJson<{ deliveries: { state: string; attempts: { status: number }[] }[] }>(
        sim,
        'GET',
        '/webhook-deliveries',
      );
      expect(log.deliveries.length).toBeGreaterThanOrEqual(2);
      expect(log.deliveries.every((d) => d.state === 'delivered')).toBe(true);
      const worker = new InboxWorker(deps);
      const report = await worker.drain();
      expect(report.claimed).toBeGreaterThanOrEqual(2);
      expect(report.failed + report.parked).toBe(0);
      const row = await store.db
        .selectFrom('tm_issues')
        .selectAll()
        .where('jira_issue_id', '=', String(created.id))
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ summary: 'Renamed story', jira_key: created.key, kind: 'requirement' });
      // The payloads carried the whole issue: no refetch from Jira was needed.
      expect(report.refetched).toBe(0);
      if (signed) {
        // A forged delivery to the same URL is refused.
        const res = await fetch(webhookUrl(deps, mapping), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature': `sha256=${'0'.repeat(64)}` },
          body: '{"webhookEvent":"jira:issue_deleted","issue":{"id":"1"}}',
        });
        expect(res.status).toBe(401);
      }
    });

    it('removes the webhook with the mapping', async () => {
      await removeWebhook(deps, mapping.id);
      expect(await ours(mapping)).toHaveLength(0);
      expect(await ours(other)).toHaveLength(1);
      await removeWebhook(deps, mapping.id);
    });

    it('records a refusal on the mapping instead of throwing, with what to do', async () => {
      const bad: SyncDeps = {
        ...deps,
        clientFor: async (_id, o) => simClient(sim, { username: 'tester', password: 'wrong' }, o),
      };
      const result = await ensureWebhook(bad, other.id);
      expect(result.state).toBe('failing');
      expect(result.error).toBeTruthy();
    });

    it('gives the exact URL, events and JQL for a manual webhook', () => {
      const m = manualWebhookInstructions(mapping, deps);
      expect(m.url).toBe(webhookUrl(deps, mapping));
      expect([...m.events].sort()).toEqual([...SEED_EVENTS, 'jira:issue_created'].sort());
      expect(m.jql).toBe(`project = ${demoId}`);
    });
  });
}
