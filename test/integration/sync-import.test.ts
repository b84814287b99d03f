/**
 * Full import and reconciliation against jira-sim, on both database dialects and both search
 * APIs (Server/DC offsets, Cloud tokens): Testbridge's requirements, defects and releases must
 * equal jira-sim's export field by field after an import (also under 429 and 5xx), and again
 * after issues and versions change, move, get retyped and deleted with no webhook at all.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import type { SyncDeps } from '../../src/integration/mappings-calls.js';
import { apiCallCounts } from '../../src/integration/mappings-calls.js';
import { getMapping } from '../../src/integration/mappings-model.js';
import { insertTestMapping } from '../../src/integration/mappings-testing.js';
import { createLogger } from '../../src/log.js';
import { Vault } from '../../src/store/vault.js';
import { runImport } from '../../src/sync/import.js';
import { reconcileMapping } from '../../src/sync/reconcile.js';
import { describeEachDialect } from '../../src/store/testing.js';
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

function depsFor(store: SyncDeps['store'], sim: JiraSim, creds: AdminCredentials): SyncDeps {
  return {
    store,
    vault: new Vault(randomBytes(32)),
    logger: createLogger('silent'),
    config: { publicUrl: 'http://127.0.0.1:1' },
    clientFor: async (_id, o) =>
      simClient(sim, creds, {
        ...(o.onCall ? { onCall: o.onCall } : {}),
        ...(o.reason ? { reason: o.reason } : {}),
      }),
    sync: { importRetryBaseMs: 10, overlapMs: 2 * 60_000 },
  };
}

for (const flavor of ['server', 'cloud'] as const) {
  describeEachDialect(`sync import + reconcile (${flavor})`, (getStore) => {
    let sim: JiraSim;
    let creds: AdminCredentials;
    beforeAll(async () => {
      sim = await startSim(flavor, 260);
      creds = await adminCredentials(sim);
    });
    afterAll(async () => {
      await sim?.close();
    });

    it('imports the project under 429 and 5xx, then converges after changes by reconciling alone', async () => {
      const store = getStore();
      const db = store.db;
      const deps = depsFor(store, sim, creds);
      const demo = await exportProject(sim, 'DEMO');
      const mapping = await insertTestMapping(db, {
        jiraInstanceId: `sim-${flavor}`,
        jiraProjectId: String(demo.id),
        jiraProjectKey: 'DEMO',
      });

      // Every search page answers 429 once and then a 502 before it succeeds.
      await simJson(sim, 'PUT', '/faults', {
        rateLimit: { count: 3, retryAfterSeconds: 0 },
        serverError: { count: 2, status: 502 },
        paths: 'search',
      });
      const progress: number[] = [];
      const result = await runImport(deps, mapping.id, { onProgress: (p) => progress.push(p.done) }).finally(
        () => simJson(sim, 'DELETE', '/faults'),
      );
      expect(result.state).toBe('done');
      expect(result.total).toBe(result.done);
      expect(progress.length).toBeGreaterThan(0);
      expect(await differences(db, sim, mapping, 'DEMO')).toEqual([]);

      const calls = await apiCallCounts(db, mapping.id);
      expect(calls.byReason.import?.rateLimited).toBeGreaterThanOrEqual(1);
      expect(calls.byReason.import?.failed).toBeGreaterThanOrEqual(3);

      // Change Jira behind Testbridge's back (no webhook is registered).
      const issues = demo.issues;
      const story = issues.find((i) => (i.fields.issuetype as { name: string }).name === 'Story');
      const bug = issues.find((i) => (i.fields.issuetype as { name: string }).name === 'Bug');
      const another = issues.filter((i) => (i.fields.issuetype as { name: string }).name === 'Story')[1];
      const third = issues.filter((i) => (i.fields.issuetype as { name: string }).name === 'Story')[2];
      if (!story || !bug || !another || !third) throw new Error('seed lacks stories and bugs');
      await jira(sim, creds, 'PUT', `/rest/api/2/issue/${story.id}`, {
        fields: { summary: 'Edited after import', labels: ['x', 'y'] },
      });
      await jira(sim, creds, 'PUT', `/rest/api/2/issue/${bug.id}`, {
        fields: { issuetype: { name: 'Story' } },
      });
      await jira(sim, creds, 'DELETE', `/rest/api/2/issue/${another.id}`);
      await simJson(sim, 'POST', `/issues/${third.id}/move`, { projectKey: 'SIM' });
      const versions = demo.versions as { id: string; name: string }[];
      const [v1, v2, v3] = versions;
      if (!v1 || !v2 || !v3) throw new Error('seed lacks versions');
      await jira(sim, creds, 'PUT', `/rest/api/2/version/${v3.id}`, {
        released: true,
        releaseDate: '2026-12-01',
      });
      await jira(sim, creds, 'PUT', `/rest/api/2/version/${v1.id}/mergeto/${v2.id}`);
      await jira(sim, creds, 'POST', '/rest/api/2/version', {
        projectId: Number(demo.id),
        name: '3.0',
        description: 'next',
      });
      const created = await jira<{ id: string }>(sim, creds, 'POST', '/rest/api/2/issue', {
        fields: { project: { key: 'DEMO' }, issuetype: { name: 'Epic' }, summary: 'New epic' },
      });

      const r = await reconcileMapping(deps, mapping.id, { idScan: true });
      expect(r.error).toBeUndefined();
      expect(await differences(db, sim, mapping, 'DEMO')).toEqual([]);
      expect(r.drift).toBeGreaterThan(0);
      const moved = await db
        .selectFrom('tm_issues')
        .selectAll()
        .where('jira_issue_id', '=', String(third.id))
        .executeTakeFirstOrThrow();
      expect(moved.removed_reason).toBe('moved');
      const deleted = await db
        .selectFrom('tm_issues')
        .selectAll()
        .where('jira_issue_id', '=', String(another.id))
        .executeTakeFirstOrThrow();
      expect(deleted.removed_reason).toBe('deleted');
      const fresh = await db
        .selectFrom('tm_issues')
        .selectAll()
        .where('jira_issue_id', '=', String(created.id))
        .executeTakeFirstOrThrow();
      expect(fresh.kind).toBe('requirement');

      // Nothing changed since: a second reconcile finds no drift.
      const again = await reconcileMapping(deps, mapping.id, { idScan: true });
      expect(again.drift).toBe(0);
      expect((await apiCallCounts(db, mapping.id)).byReason.reconcile?.calls).toBeGreaterThan(0);
      const m = await getMapping(db, mapping.id);
      expect(m.watermark).not.toBeNull();

      // The comparison itself can fail: one wrong field is reported.
      await db
        .updateTable('tm_issues')
        .set({ summary: 'tampered' })
        .where('jira_issue_id', '=', String(story.id))
        .execute();
      expect(await differences(db, sim, mapping, 'DEMO')).toEqual([
        `issue ${story.id} summary: jira="Edited after import" testbridge="tampered"`,
      ]);
    });

    it('resumes an interrupted import from its checkpoint without fetching finished pages again', async () => {
      const store = getStore();
      const db = store.db;
      const deps = depsFor(store, sim, creds);
      const project = await exportProject(sim, 'SIM');
      const mapping = await insertTestMapping(db, {
        jiraInstanceId: `sim-resume-${flavor}`,
        jiraProjectId: String(project.id),
        jiraProjectKey: 'SIM',
      });
      const controller = new AbortController();
      // Small pages so there is a middle to stop in.
      const small: SyncDeps = { ...deps, sync: { ...deps.sync, importPageSize: 25 } };
      let pages = 0;
      await runImport(small, mapping.id, {
        signal: controller.signal,
        onProgress: () => {
          if (++pages === 1) controller.abort();
        },
      });
      const mid = await db
        .selectFrom('sync_mappings')
        .selectAll()
        .where('id', '=', mapping.id)
        .executeTakeFirstOrThrow();
      expect(mid.import_state).toBe('running');
      expect(mid.import_done).toBe(25);
      expect(mid.import_cursor).not.toBeNull();
      const done = await runImport(small, mapping.id);
      expect(done.state).toBe('done');
      expect(done.done).toBe(done.total);
      // Had finished pages been fetched and applied again, they would count as unchanged.
      expect(done.counts.unchanged ?? 0).toBe(0);
      expect((done.counts.created ?? 0) + (done.counts.ignored ?? 0)).toBe(done.total);
      expect(await differences(db, sim, mapping, 'SIM')).toEqual([]);
    });
  });
}
