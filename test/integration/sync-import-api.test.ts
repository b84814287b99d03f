/**
 * The mapping and test-management REST API end to end against jira-sim: connect an instance,
 * create a project, map it (checked against Jira, webhook registered), let the scheduler
 * import it, read requirements/defects/releases and the mapping's health, then test cases,
 * executions and traceability. Bad input gets a clear 4xx, never a 5xx.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import type { MappingView } from '../../src/integration/mappings.js';
import { createTestApp, type TestApp } from '../../src/server/testing.js';
import { describeEachDialect } from '../../src/store/testing.js';
import { registerScheduler, SyncScheduler } from '../../src/sync/scheduler.js';
import { adminCredentials, differences, startSim } from './sync-support.js';
import { getMapping } from '../../src/integration/mappings-model.js';

describeEachDialect('mappings and tm REST API', (getStore) => {
  let sim: JiraSim;
  let t: TestApp;
  let scheduler: SyncScheduler;
  beforeAll(async () => {
    sim = await startSim('server', 120);
    t = await createTestApp({ store: getStore() });
    scheduler = new SyncScheduler({ config: t.config, logger: t.logger, store: t.store, vault: t.vault });
    registerScheduler(t.store, scheduler);
  });
  afterAll(async () => {
    await scheduler?.stop();
    await t?.close();
    await sim?.close();
  });

  it('maps a Jira project, imports it and serves requirements, health, test cases and traceability', async () => {
    const creds = await adminCredentials(sim);
    const created0 = await t.admin.json<{ instance: { id: string } }>('POST', '/api/jira/instances', {
      name: 'Sim',
      jiraUrl: sim.url,
      auth: { mode: 'basic', username: creds.username, password: creds.password },
    });
    expect(created0.status).toBe(201);
    const inst = { body: created0.body.instance };

    const projects = await t.admin.json<{ projects: { key: string; issueTypes: { name: string }[] }[] }>(
      'GET',
      `/api/jira/instances/${inst.body.id}/projects`,
    );
    expect(projects.body).toMatchObject({ projects: expect.any(Array) });
    expect(projects.status).toBe(200);
    expect(projects.body.projects.find((p) => p.key === 'DEMO')?.issueTypes.map((i) => i.name)).toContain(
      'Story',
    );

    const project = await t.admin.json<{ id: string }>('POST', '/api/projects', {
      key: 'SHOP',
      name: 'Web shop',
    });
    expect(project.status).toBe(201);
    expect((await t.admin.json('POST', '/api/projects', { key: 'SHOP', name: 'again' })).status).toBe(409);

    // Checked against Jira before anything is stored.
    const badType = await t.admin.json<{ error: { code: string; hint: string } }>('POST', '/api/mappings', {
      projectId: project.body.id,
      jiraInstanceId: inst.body.id,
      jiraProject: 'DEMO',
      requirementTypes: ['Storyy'],
    });
    expect(badType.status).toBe(400);
    expect(badType.body.error.code).toBe('issue_type_unknown');
    expect(badType.body.error.hint).toContain('Story');
    const badJql = await t.admin.json<{ error: { code: string } }>('POST', '/api/mappings', {
      projectId: project.body.id,
      jiraInstanceId: inst.body.id,
      jiraProject: 'DEMO',
      extraJql: 'nosuchfield = 1',
    });
    expect(badJql.status).toBe(400);
    expect(badJql.body.error.code).toBe('jql_invalid');
    const noProject = await t.admin.json<{ error: { code: string } }>('POST', '/api/mappings', {
      projectId: project.body.id,
      jiraInstanceId: inst.body.id,
      jiraProject: 'NOPE',
    });
    expect(noProject.body.error.code).toBe('jira_project_not_found');

    const created = await t.admin.json<MappingView>('POST', '/api/mappings', {
      projectId: 'SHOP',
      jiraInstanceId: inst.body.id,
      jiraProject: 'DEMO',
    });
    expect(created.status).toBe(201);
    expect(created.body.requirementTypes).toEqual(['Epic', 'Story']);
    expect(created.body.defectTypes).toEqual(['Bug']);
    expect(created.body.webhookSetup.url).toMatch(/\/webhooks\/jira\/[A-Za-z0-9_-]{43}$/);
    const again = await t.admin.json<{ error: { code: string } }>('POST', '/api/mappings', {
      projectId: 'SHOP',
      jiraInstanceId: inst.body.id,
      jiraProject: 'SIM',
    });
    expect(again.status).toBe(409);

    await scheduler.runOnce({ waitForImports: true });
    const view = await t.admin.json<MappingView>('GET', `/api/mappings/${created.body.id}`);
    expect(view.body.health.import.state).toBe('done');
    expect(view.body.health.import.done).toBe(view.body.health.import.total);
    expect(view.body.health.jiraApiCalls.byReason.import?.calls).toBeGreaterThan(0);
    expect(view.body.health.reconcile.lastAt).not.toBeNull();
    expect(view.body.health.inbox.parked).toBe(0);
    expect(await differences(t.store.db, sim, await getMapping(t.store.db, created.body.id), 'DEMO')).toEqual(
      [],
    );

    const list = await t.admin.json<{ mappings: MappingView[] }>(
      'GET',
      `/api/jira/instances/${inst.body.id}/mappings`,
    );
    expect(list.body.mappings.map((m) => m.id)).toEqual([created.body.id]);

    const reqs = await t.admin.json<{
      items: { id: string; jiraKey: string; fixVersions: { releaseId: string | null }[] }[];
      total: number;
    }>('GET', `/api/projects/${project.body.id}/requirements?limit=5`);
    expect(reqs.status).toBe(200);
    expect(reqs.body.items).toHaveLength(5);
    expect(reqs.body.total).toBeGreaterThan(5);
    for (const r of reqs.body.items) for (const v of r.fixVersions) expect(v.releaseId).not.toBeNull();
    const defects = await t.admin.json<{ total: number }>('GET', `/api/projects/${project.body.id}/defects`);
    expect(defects.body.total).toBeGreaterThan(0);
    const releases = await t.admin.json<{ releases: { name: string }[] }>(
      'GET',
      `/api/projects/${project.body.id}/releases`,
    );
    expect(releases.body.releases.map((r) => r.name)).toEqual(['1.0', '1.1', '2.0']);
    const badQuery = await t.admin.json<{ error: { code: string } }>(
      'GET',
      `/api/projects/${project.body.id}/requirements?limit=0`,
    );
    expect(badQuery.status).toBe(400);

    const [r1, r2] = reqs.body.items;
    if (!r1 || !r2) throw new Error('no requirements');
    const tc = await t.admin.json<{ id: string; requirementIds: string[] }>(
      'POST',
      `/api/projects/${project.body.id}/test-cases`,
      {
        title: 'Checkout works',
        steps: [{ action: 'Pay', expected: 'Receipt' }],
        requirementIds: [r1.id],
      },
    );
    expect(tc.status).toBe(201);
    expect(tc.body.requirementIds).toEqual([r1.id]);
    const badLink = await t.admin.json<{ error: { code: string } }>(
      'POST',
      `/api/projects/${project.body.id}/test-cases`,
      {
        title: 'x',
        requirementIds: ['nope'],
      },
    );
    expect(badLink.body.error.code).toBe('requirement_not_found');
    expect(
      (await t.admin.json('POST', `/api/test-cases/${tc.body.id}/executions`, { status: 'passed' })).status,
    ).toBe(201);
    expect(
      (
        await t.admin.json('POST', `/api/test-cases/${tc.body.id}/executions`, {
          status: 'failed',
          notes: '500',
        })
      ).status,
    ).toBe(201);
    expect(
      (await t.admin.json('POST', `/api/test-cases/${tc.body.id}/executions`, { status: 'meh' })).status,
    ).toBe(400);
    const trace = await t.admin.json<{
      requirements: { requirementId: string; coverage: string; testCases: { lastStatus: string }[] }[];
    }>('GET', `/api/projects/${project.body.id}/traceability`);
    const row1 = trace.body.requirements.find((r) => r.requirementId === r1.id);
    expect(row1?.coverage).toBe('failed');
    expect(row1?.testCases[0]?.lastStatus).toBe('failed');
    expect(trace.body.requirements.find((r) => r.requirementId === r2.id)?.coverage).toBe('untested');
    const updated = await t.admin.json<{ requirementIds: string[] }>('PUT', `/api/test-cases/${tc.body.id}`, {
      requirementIds: [r2.id],
    });
    expect(updated.body.requirementIds).toEqual([r2.id]);

    // Testers read, only admins map.
    const tester = await t.signedIn('tester');
    expect((await tester.client.json('GET', `/api/projects/${project.body.id}/requirements`)).status).toBe(
      200,
    );
    expect((await tester.client.json('GET', `/api/mappings/${created.body.id}`)).status).toBe(403);

    const reconciled = await t.admin.json<{ drift: number }>(
      'POST',
      `/api/mappings/${created.body.id}/reconcile`,
    );
    expect(reconciled.status).toBe(200);
    expect(reconciled.body.drift).toBe(0);

    const removed = await t.admin.json<{ webhookRemoved: boolean }>(
      'DELETE',
      `/api/mappings/${created.body.id}`,
    );
    expect(removed.status).toBe(200);
    expect((await t.admin.json('GET', `/api/mappings/${created.body.id}`)).status).toBe(404);
    const after = await t.admin.json<{ total: number }>(
      'GET',
      `/api/projects/${project.body.id}/requirements`,
    );
    expect(after.body.total).toBe(0);
  });
});
