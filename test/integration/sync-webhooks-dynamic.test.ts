/**
 * Cloud instances connected with OAuth 2.0 can only register dynamic webhooks, which Jira
 * silently drops 30 days after registration or the last refresh. Against jira-sim (cloud,
 * a real 3LO authorization): registered once, found again rather than duplicated, refreshed
 * when jira-sim's clock moves close to the expiry, recreated after deletion, removed.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import type { SyncDeps } from '../../src/integration/mappings-calls.js';
import { insertTestMapping } from '../../src/integration/mappings-testing.js';
import {
  checkWebhooks,
  DYNAMIC_WEBHOOK_EVENTS,
  ensureWebhook,
  removeWebhook,
} from '../../src/integration/webhooks.js';
import { JiraClient, oauth2Auth } from '../../src/jira/index.js';
import { createLogger } from '../../src/log.js';
import {
  accessibleResources,
  atlassianCloudProvider,
  cloudApiBaseUrl,
  findCloudSite,
} from '../../src/oauth2/atlassian-cloud.js';
import { createAuthorization, exchangeCode, refreshTokens } from '../../src/oauth2/flow.js';
import { OAuth2TokenManager } from '../../src/oauth2/token-manager.js';
import { createTestStore, type TestStore } from '../../src/store/testing.js';
import { Vault } from '../../src/store/vault.js';
import { adminCredentials, projectId, simJson, startSim } from './sync-support.js';

const REDIRECT_URI = 'http://127.0.0.1:9/oauth2/callback';
const DAY = 86_400_000;

describe('Cloud dynamic webhooks (OAuth 2.0)', () => {
  let sim: JiraSim;
  let store: TestStore;
  let client: JiraClient;
  let deps: SyncDeps;
  let skewMs = 0;

  beforeAll(async () => {
    sim = await startSim('cloud');
    const registered = await simJson<{
      clientId: string;
      clientSecret: string;
      authorizeUrl: string;
      tokenUrl: string;
      accessibleResourcesUrl: string;
    }>(sim, 'POST', '/oauth2/clients', { name: 'Testbridge', redirectUri: REDIRECT_URI });
    const creds = {
      clientId: registered.clientId,
      clientSecret: registered.clientSecret,
      redirectUri: REDIRECT_URI,
    };
    const provider = atlassianCloudProvider({
      authorizationEndpoint: registered.authorizeUrl,
      tokenEndpoint: registered.tokenUrl,
    });
    const pending = await createAuthorization(provider, creds);
    // The administrator signs in on the consent page and accepts.
    const info = await simJson<{ users: { name: string; password: string }[] }>(sim, 'GET', '/info');
    const url = new URL(pending.url);
    const form = new URLSearchParams(url.searchParams);
    form.set('os_username', 'admin');
    form.set('os_password', info.users.find((u) => u.name === 'admin')?.password ?? '');
    form.set('approve', 'Accept');
    const consent = await fetch(`${url.origin}${url.pathname}`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    const callback = consent.headers.get('location');
    if (!callback) throw new Error(`consent failed: ${consent.status}`);
    const tokens = await exchangeCode(provider, creds, {
      callbackParams: callback,
      expectedState: pending.state,
    });
    const manager = new OAuth2TokenManager({
      initial: tokens,
      refresh: (rt) => refreshTokens(provider, creds, rt),
      persist: async () => {},
    });
    const sites = await accessibleResources(await manager.accessToken(), {
      endpoint: registered.accessibleResourcesUrl,
    });
    client = new JiraClient({
      jiraUrl: sim.url,
      apiBaseUrl: cloudApiBaseUrl(findCloudSite(sites, sim.baseUrl).id, sim.url),
      auth: oauth2Auth(manager),
    });
    await adminCredentials(sim);

    store = await createTestStore('sqlite');
    const now = new Date().toISOString();
    const instanceId = `cloud-${randomBytes(3).toString('hex')}`;
    // The lifecycle picks dynamic webhooks from the instance's auth mode.
    await store.db
      .insertInto('jira_instances')
      .values({
        id: instanceId,
        name: instanceId,
        jira_url: sim.url,
        base_url: sim.baseUrl,
        proxy_host: null,
        proxy_url_sealed: null,
        tls_verify: 1,
        ca_pem: null,
        auth_mode: 'oauth2-cloud',
        auth_json: '{}',
        credentials_sealed: null,
        tokens_sealed: null,
        tokens_version: 0,
        token_expires_at: null,
        status: 'connected',
        status_message: null,
        setup_step: 'done',
        deployment_json: null,
        acting_user: null,
        last_diagnostics_json: null,
        last_diagnostics_at: null,
        created_by: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const mapping = await insertTestMapping(store.db, {
      jiraInstanceId: instanceId,
      jiraProjectId: await projectId(sim, 'DEMO'),
      jiraProjectKey: 'DEMO',
    });
    await store.db
      .updateTable('sync_mappings')
      .set({ webhook_mode: 'automatic' })
      .where('id', '=', mapping.id)
      .execute();
    deps = {
      store,
      vault: new Vault(randomBytes(32)),
      logger: createLogger('silent'),
      config: { publicUrl: 'http://127.0.0.1:9' },
      now: () => Date.now() + skewMs,
      clientFor: async () => client,
    };
    mappingId = mapping.id;
  });
  let mappingId = '';
  afterAll(async () => {
    await store?.cleanup();
    await sim?.close();
  });

  const advance = async (ms: number) => {
    await simJson(sim, 'POST', '/clock', { advanceMs: ms });
    skewMs += ms;
  };

  it('registers one dynamic webhook with the issue events and the project filter, and shows its expiry', async () => {
    const first = await ensureWebhook(deps, mappingId);
    expect(first).toMatchObject({ state: 'active', registration: 'dynamic', action: 'created' });
    const list = await client.listDynamicWebhooks();
    expect(list).toHaveLength(1);
    expect([...(list[0]?.events ?? [])].sort()).toEqual([...DYNAMIC_WEBHOOK_EVENTS].sort());
    expect(list[0]?.jqlFilter).toMatch(/^project = \d+$/);
    const expires = Date.parse(first.expiresAt ?? '');
    expect(expires - Date.now() + skewMs).toBeGreaterThan(29 * DAY);
    expect((await ensureWebhook(deps, mappingId)).action).toBe('unchanged');
    expect(await client.listDynamicWebhooks()).toHaveLength(1);
  });

  it('refreshes it well before the 30 days run out', async () => {
    const before = await store.db
      .selectFrom('sync_mappings')
      .select('webhook_expires_at')
      .where('id', '=', mappingId)
      .executeTakeFirstOrThrow();
    await advance(21 * DAY);
    const [result] = await checkWebhooks(deps);
    expect(result?.action).toBe('refreshed');
    expect(Date.parse(result?.expiresAt ?? '')).toBeGreaterThan(Date.parse(before.webhook_expires_at ?? ''));
    expect(Date.parse(result?.expiresAt ?? '') - Date.now() + skewMs).toBeGreaterThan(29 * DAY);
    expect(await client.listDynamicWebhooks()).toHaveLength(1);
  });

  it('registers it again after it was deleted in Jira, then removes it with the mapping', async () => {
    const [hook] = await client.listDynamicWebhooks();
    await client.deleteDynamicWebhooks([hook?.id ?? 0]);
    expect((await ensureWebhook(deps, mappingId)).action).toBe('repaired');
    expect(await client.listDynamicWebhooks()).toHaveLength(1);
    await removeWebhook(deps, mappingId);
    expect(await client.listDynamicWebhooks()).toHaveLength(0);
  });
});
