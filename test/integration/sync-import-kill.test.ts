/**
 * Crash safety of the full import: Testbridge runs as its own process, is SIGKILLed in the
 * middle of an import, and started again on the same data. The import resumes from its last
 * checkpoint (no finished page is applied twice beyond the one in flight) and the project
 * ends equal to jira-sim's export, field by field.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import type { MappingView } from '../../src/integration/mappings.js';
import { getMapping } from '../../src/integration/mappings-model.js';
import { openStore } from '../../src/store/store.js';
import { adminCredentials, differences, simJson, startSim } from './sync-support.js';
import { adminSession, type ServerProcess, startServerProcess } from './sync-process.js';

const PAGE = 100;
let sim: JiraSim;
let dataDir: string;
let server: ServerProcess | undefined;

beforeAll(async () => {
  sim = await startSim('server', 3000);
  dataDir = mkdtempSync(join(tmpdir(), 'testbridge-kill-'));
});
afterAll(async () => {
  await server?.kill('SIGKILL');
  await sim?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; server output:\n${server?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('resumes an import after SIGKILL and converges to Jira', async () => {
  // A short lease: the restarted server takes over the killed one's import after 2 s.
  const env = {
    TESTBRIDGE_SYNC_TICK_MS: '200',
    TESTBRIDGE_IMPORT_PAGE_SIZE: String(PAGE),
    TESTBRIDGE_SYNC_LEASE_MS: '2000',
  };
  server = await startServerProcess(dataDir, env);
  let api = await adminSession(server.url);
  const creds = await adminCredentials(sim);
  const inst = await api<{ instance: { id: string } }>('POST', '/api/jira/instances', {
    name: 'Sim',
    jiraUrl: sim.url,
    auth: { mode: 'basic', username: creds.username, password: creds.password },
  });
  expect(inst.status).toBe(201);
  expect((await api('POST', '/api/projects', { key: 'SHOP', name: 'Web shop' })).status).toBe(201);
  // Slow searches, so there is an import to kill in the middle of.
  await simJson(sim, 'PUT', '/faults', { latencyMs: 150, paths: 'search' });
  const created = await api<MappingView>('POST', '/api/mappings', {
    projectId: 'SHOP',
    jiraInstanceId: inst.body.instance.id,
    jiraProject: 'DEMO',
    webhookMode: 'manual',
  });
  expect(created.status).toBe(201);
  const id = created.body.id;

  const before = await waitFor('a few imported pages', async () => {
    const v = await api<MappingView>('GET', `/api/mappings/${id}`);
    return v.body.health.import.done >= 3 * PAGE ? v.body.health.import : undefined;
  });
  expect(before.state).toBe('running');
  expect(before.total).toBeGreaterThan(before.done);
  await server.kill('SIGKILL');
  server = undefined;

  await simJson(sim, 'DELETE', '/faults');
  server = await startServerProcess(dataDir, env);
  api = await adminSession(server.url);
  const done = await waitFor('the resumed import', async () => {
    const v = await api<MappingView>('GET', `/api/mappings/${id}`);
    return v.body.health.import.state === 'done' ? v.body.health.import : undefined;
  });
  expect(done.done).toBe(done.total);
  // At most the page in flight at the kill is applied twice; earlier pages were checkpointed.
  expect(done.counts.unchanged ?? 0).toBeLessThanOrEqual(PAGE);
  expect(done.counts.created).toBeGreaterThanOrEqual((done.total ?? 0) - PAGE);
  await server.kill('SIGTERM');
  server = undefined;

  const store = await openStore({ databaseUrl: join(dataDir, 'testbridge.sqlite') });
  try {
    expect(await differences(store.db, sim, await getMapping(store.db, id), 'DEMO')).toEqual([]);
  } finally {
    await store.close();
  }
}, 180_000);
