/**
 * A mapping with an extra JQL filter: issues that stop matching it leave the project at the
 * next id scan (out of scope), and come back when they match again.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import type { SyncDeps } from '../../src/integration/mappings-calls.js';
import { getMapping } from '../../src/integration/mappings-model.js';
import { insertTestMapping } from '../../src/integration/mappings-testing.js';
import { createLogger } from '../../src/log.js';
import { describeEachDialect } from '../../src/store/testing.js';
import { Vault } from '../../src/store/vault.js';
import { runImport } from '../../src/sync/import.js';
import { reconcileMapping } from '../../src/sync/reconcile.js';
import {
  type AdminCredentials,
  adminCredentials,
  exportProject,
  jira,
  simClient,
  startSim,
} from './sync-support.js';

describeEachDialect('sync with an extra JQL filter', (getStore) => {
  let sim: JiraSim;
  let creds: AdminCredentials;
  beforeAll(async () => {
    sim = await startSim('dc10', 60);
    creds = await adminCredentials(sim);
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('drops issues that leave the filter and takes them back when they match again', async () => {
    const store = getStore();
    const db = store.db;
    const deps: SyncDeps = {
      store,
      vault: new Vault(randomBytes(32)),
      logger: createLogger('silent'),
      config: { publicUrl: 'http://127.0.0.1:1' },
      clientFor: async (_id, o) => simClient(sim, creds, o.onCall ? { onCall: o.onCall } : {}),
    };
    const demo = await exportProject(sim, 'DEMO');
    const stories = demo.issues
      .filter((i) => (i.fields.issuetype as { name: string }).name === 'Story')
      .slice(0, 3);
    for (const s of stories)
      await jira(sim, creds, 'PUT', `/rest/api/2/issue/${s.id}`, { fields: { labels: ['keep'] } });
    const base = await insertTestMapping(db, {
      jiraInstanceId: 'sim-filter',
      jiraProjectId: String(demo.id),
    });
    await db
      .updateTable('sync_mappings')
      .set({ extra_jql: 'labels = keep' })
      .where('id', '=', base.id)
      .execute();
    const mapping = await getMapping(db, base.id);

    const progress = await runImport(deps, mapping.id);
    expect(progress.done).toBe(3);
    const live = async () =>
      (
        await db
          .selectFrom('tm_issues')
          .select('jira_issue_id')
          .where('project_id', '=', mapping.projectId)
          .where('removed_reason', 'is', null)
          .execute()
      )
        .map((r) => r.jira_issue_id)
        .sort();
    const ids = stories.map((s) => String(s.id)).sort();
    expect(await live()).toEqual(ids);

    const [first] = stories;
    if (!first) throw new Error('no stories');
    await jira(sim, creds, 'PUT', `/rest/api/2/issue/${first.id}`, { fields: { labels: ['other'] } });
    const r = await reconcileMapping(deps, mapping.id, { idScan: true });
    expect(r.idScan?.goneInJira).toBe(1);
    expect(await live()).toEqual(ids.filter((i) => i !== String(first.id)));
    const row = await db
      .selectFrom('tm_issues')
      .selectAll()
      .where('jira_issue_id', '=', String(first.id))
      .executeTakeFirstOrThrow();
    expect(row.removed_reason).toBe('out-of-scope');

    // A few ms, so the change is strictly newer in Jira's millisecond `updated` (a removed row needs that).
    await new Promise((res) => setTimeout(res, 5));
    await jira(sim, creds, 'PUT', `/rest/api/2/issue/${first.id}`, { fields: { labels: ['keep', 'again'] } });
    await reconcileMapping(deps, mapping.id, { idScan: false });
    expect(await live()).toEqual(ids);
  });
});
