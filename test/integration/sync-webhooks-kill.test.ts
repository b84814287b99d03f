/**
 * Testbridge SIGKILLed during a burst of webhooks, then restarted: `node bin/testbridge.mjs
 * serve` runs as a child process on its own data dir and port. Every delivery Jira saw
 * acknowledged must be in the inbox after the crash (the 2xx comes only after the commit),
 * jira-sim's retries of the refused ones land after the restart, the restarted worker
 * drains the inbox, and one reconcile makes Testbridge equal jira-sim's export.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JiraSim } from '../../jira-sim/src/server.js';
import { createInstance } from '../../src/integration/instances.js';
import type { SyncDeps } from '../../src/integration/mappings-calls.js';
import { getMapping } from '../../src/integration/mappings-model.js';
import { insertTestMapping } from '../../src/integration/mappings-testing.js';
import { ensureWebhook } from '../../src/integration/webhooks.js';
import { createLogger } from '../../src/log.js';
import { openStore, type Store } from '../../src/store/store.js';
import { Vault } from '../../src/store/vault.js';
import { runImport } from '../../src/sync/import.js';
import { inboxHealth } from '../../src/sync/inbox.js';
import { reconcileMapping } from '../../src/sync/reconcile.js';
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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SIGKILL during a burst of webhooks, then restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'testbridge-kill-'));
  const key = randomBytes(32).toString('hex');
  let port: number;
  let sim: JiraSim;
  let creds: AdminCredentials;
  let store: Store;
  let child: ChildProcess | undefined;

  function startServer(): Promise<ChildProcess> {
    const proc = spawn(
      process.execPath,
      ['bin/testbridge.mjs', 'serve', '--port', String(port), '--host', '127.0.0.1'],
      {
        cwd: process.cwd(),
        env: {
          ...process.env,
          TESTBRIDGE_DATA_DIR: dataDir,
          DATABASE_URL: '',
          TESTBRIDGE_SECRET_KEY: key,
          TESTBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`,
          TESTBRIDGE_ADMIN_PASSWORD: 'kill-test-admin-password',
          TESTBRIDGE_INBOX_POLL_MS: '50',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    proc.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + 60_000;
      const poll = async () => {
        if (proc.exitCode !== null) return reject(new Error(`testbridge exited ${proc.exitCode}: ${output}`));
        try {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`);
          if (res.ok) return resolve(proc);
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) return reject(new Error(`testbridge did not start: ${output}`));
        setTimeout(poll, 100);
      };
      void poll();
    });
  }

  beforeAll(async () => {
    port = await freePort();
    // Deliveries refused while Testbridge is down are retried for ~19 s by jira-sim.
    sim = await startSim('server', 120);
    creds = await adminCredentials(sim);
    child = await startServer();
    store = await openStore({ databaseUrl: join(dataDir, 'testbridge.sqlite'), dialect: 'sqlite' });
  }, 90_000);
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await store?.close();
    await sim?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged delivery and converges after the restart', async () => {
    const vault = new Vault(Buffer.from(key, 'hex'));
    const deps: SyncDeps = {
      store,
      vault,
      logger: createLogger('silent'),
      config: { publicUrl: `http://127.0.0.1:${port}` },
      clientFor: async (_id, o) =>
        simClient(sim, creds, {
          ...(o.onCall ? { onCall: o.onCall } : {}),
          ...(o.reason ? { reason: o.reason } : {}),
        }),
    };
    // The child's worker refetches through the stored instance, as in production.
    const instance = await createInstance(deps, {
      name: 'sim',
      jiraUrl: sim.url,
      auth: { mode: 'basic', username: creds.username, password: creds.password },
    });
    const demo = await exportProject(sim, 'DEMO');
    const inserted = await insertTestMapping(store.db, {
      jiraInstanceId: instance.id,
      jiraProjectId: String(demo.id),
      jiraProjectKey: 'DEMO',
    });
    await store.db
      .updateTable('sync_mappings')
      .set({ webhook_mode: 'automatic' })
      .where('id', '=', inserted.id)
      .execute();
    const mapping = await getMapping(store.db, inserted.id);
    expect((await ensureWebhook(deps, mapping.id)).state).toBe('active');
    expect((await runImport(deps, mapping.id)).state).toBe('done');
    await simJson(sim, 'DELETE', '/webhook-deliveries');

    const stories = demo.issues.filter((i) => (i.fields.issuetype as { name: string }).name === 'Story');
    // The burst: three edits to each story, all at once; killed once deliveries are flowing.
    const edits: Promise<unknown>[] = [];
    for (const [n, s] of stories.entries())
      for (let k = 0; k < 3; k++)
        edits.push(
          jira(sim, creds, 'PUT', `/rest/api/2/issue/${s.id}`, { fields: { summary: `Kill ${n}.${k}` } }),
        );
    type Delivery = { identifier: string; state: string; attempts: { status: number | null }[] };
    const deliveries = async () =>
      (await simJson<{ deliveries: Delivery[] }>(sim, 'GET', '/webhook-deliveries')).deliveries;
    for (let i = 0; i < 400; i++) {
      if ((await deliveries()).filter((d) => d.state === 'delivered').length >= 10) break;
      await sleep(5);
    }
    child?.kill('SIGKILL');
    await Promise.all(edits);
    await new Promise<void>((resolve) =>
      child?.exitCode !== null || child?.signalCode !== null
        ? resolve()
        : child?.once('exit', () => resolve()),
    );
    expect(child?.signalCode).toBe('SIGKILL');

    const acknowledged = async () =>
      (await simJson<{ deliveries: Delivery[] }>(sim, 'GET', '/webhook-deliveries')).deliveries.filter((d) =>
        d.attempts.some((a) => a.status !== null && a.status >= 200 && a.status < 300),
      );
    const keys = async () =>
      new Set(
        (
          await store.db
            .selectFrom('sync_deliveries')
            .select('delivery_key')
            .where('mapping_id', '=', mapping.id)
            .execute()
        ).map((r) => r.delivery_key),
      );
    // Everything Jira saw acknowledged before the kill is committed.
    const beforeRestart = await acknowledged();
    expect(beforeRestart.length).toBeGreaterThan(0);
    const stored = await keys();
    for (const d of beforeRestart) expect(stored.has(`id:${d.identifier}`), d.identifier).toBe(true);
    const log = (await simJson<{ deliveries: Delivery[] }>(sim, 'GET', '/webhook-deliveries')).deliveries;
    expect(log.some((d) => d.attempts.some((a) => a.status === null))).toBe(true);

    child = await startServer();
    await simJson(sim, 'POST', '/webhook-deliveries/flush');
    const after = await acknowledged();
    const storedAfter = await keys();
    for (const d of after) expect(storedAfter.has(`id:${d.identifier}`), d.identifier).toBe(true);
    // The restarted worker drains the inbox.
    for (let i = 0; i < 200 && (await inboxHealth(store.db, mapping.id)).depth > 0; i++) await sleep(100);
    const health = await inboxHealth(store.db, mapping.id);
    expect(health).toMatchObject({ depth: 0, parked: 0 });

    const r = await reconcileMapping(deps, mapping.id, { idScan: true });
    expect(r.error).toBeUndefined();
    expect(await differences(store.db, sim, mapping, 'DEMO')).toEqual([]);
    child.kill('SIGTERM');
  }, 150_000);
});
