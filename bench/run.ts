/**
 * `npm run bench`: the sync's two costly paths, each as a ratio to a baseline measured in the
 * same run on the same machine (absolute numbers vary too much between machines to compare).
 *
 * 1. Receiver hot path: real Jira payloads POSTed over HTTP with N in flight, Testbridge's
 *    receiver (token lookup, HMAC check, durable grouped INSERT) vs. a bare Hono handler that
 *    only reads the body, on SQLite and PostgreSQL.
 * 2. Full import: Testbridge's checkpointed import of a seeded jira-sim project vs. raw paging
 *    of the same search with fetch (no parsing beyond JSON, no database).
 *
 * Options (env): BENCH_DELIVERIES (default 2000), BENCH_CONCURRENCY (32), BENCH_ISSUES (5000),
 * BENCH_DIALECTS (sqlite,postgres).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createJiraSim } from '../jira-sim/src/server.js';
import { loadConfig } from '../src/config/config.js';
import type { SyncDeps } from '../src/integration/mappings-calls.js';
import { insertTestMapping } from '../src/integration/mappings-testing.js';
import { webhookSecretContext } from '../src/integration/webhooks-secret.js';
import { basicAuth, JiraClient } from '../src/jira/index.js';
import { createLogger } from '../src/log.js';
import { createApp } from '../src/server/app.js';
import { webhooksReceiverRoutes } from '../src/server/routes/webhooks-receiver.js';
import type { Dialect } from '../src/store/store.js';
import { createTestStore } from '../src/store/testing.js';
import { Vault } from '../src/store/vault.js';
import { runImport } from '../src/sync/import.js';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ISSUES = Number(process.env.BENCH_ISSUES ?? 5000);
const DIALECTS = (process.env.BENCH_DIALECTS ?? 'sqlite,postgres').split(',') as Dialect[];
const FIXTURES = '/work/shared/fixtures/jira-webhooks';
const SECRET = 'bench-secret';

function payloads(): string[] {
  try {
    return readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .map((f) => readFileSync(join(FIXTURES, f), 'utf8'));
  } catch {
    return [JSON.stringify({ webhookEvent: 'jira:issue_updated', issue: { id: '1', fields: {} } })];
  }
}

async function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<{
  url: string;
  close: () => Promise<void>;
}> {
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** POSTs `n` deliveries with `concurrency` in flight; returns deliveries per second. */
async function blast(url: string, bodies: string[], n: number, concurrency: number): Promise<number> {
  const signed = bodies.map((b) => `sha256=${createHmac('sha256', SECRET).update(b).digest('hex')}`);
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        const k = i % bodies.length;
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-atlassian-webhook-identifier': `bench-${i}-${randomBytes(4).toString('hex')}`,
            'x-hub-signature': signed[k] as string,
          },
          body: bodies[k],
        });
        await res.arrayBuffer();
        if (res.status >= 300) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (failures > 0) throw new Error(`${failures} deliveries were refused`);
  return n / seconds;
}

async function receiverBench(dialect: Dialect): Promise<void> {
  const bodies = payloads();
  const bare = new Hono();
  bare.post('/webhooks/jira/:token', async (c) => {
    await c.req.arrayBuffer();
    return c.json({ status: 'stored' }, 202);
  });
  const baseline = await listen(bare.fetch);

  const store = await createTestStore(dialect);
  const vault = new Vault(randomBytes(32));
  const logger = createLogger('silent');
  const config = loadConfig({ dataDir: '/tmp', port: 0 }, {});
  const app = createApp({ config, logger, store, vault }, { registrars: [webhooksReceiverRoutes()] });
  const ours = await listen(app.fetch);
  const mapping = await insertTestMapping(store.db, {});
  await store.db
    .updateTable('sync_mappings')
    .set({ webhook_secret_sealed: vault.seal(SECRET, webhookSecretContext(mapping.id)) })
    .where('id', '=', mapping.id)
    .execute();
  try {
    // Warm up both (JIT, connection pools, token cache).
    await blast(`${baseline.url}/webhooks/jira/x`, bodies, 200, CONCURRENCY);
    await blast(`${ours.url}/webhooks/jira/${mapping.webhookToken}`, bodies, 200, CONCURRENCY);
    // Alternate the two, best of three rounds each: other load on the machine hits both alike.
    let base = 0;
    let mine = 0;
    for (let round = 0; round < 3; round++) {
      base = Math.max(base, await blast(`${baseline.url}/webhooks/jira/x`, bodies, DELIVERIES, CONCURRENCY));
      mine = Math.max(
        mine,
        await blast(`${ours.url}/webhooks/jira/${mapping.webhookToken}`, bodies, DELIVERIES, CONCURRENCY),
      );
    }
    const stored = await store.db
      .selectFrom('sync_deliveries')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    console.log(
      `receiver [${dialect}]: ${mine.toFixed(0)} deliveries/s vs bare Hono ${base.toFixed(0)}/s ` +
        `-> ratio ${(mine / base).toFixed(2)} (best of 3 x ${DELIVERIES} deliveries, ${CONCURRENCY} in flight, ` +
        `${Number(stored.n)} rows committed)`,
    );
  } finally {
    await ours.close();
    await baseline.close();
    await store.cleanup();
  }
}

async function importBench(dialect: Dialect): Promise<void> {
  const sim = await createJiraSim({ port: 0, flavor: 'server', seedIssues: ISSUES });
  const store = await createTestStore(dialect);
  try {
    const info = (await (await fetch(`${sim.url}/rest/sim/1.0/info`)).json()) as {
      users: { name: string; password: string }[];
    };
    const admin = info.users.find((u) => u.name === 'admin');
    if (!admin) throw new Error('jira-sim has no admin');
    const creds = { username: admin.name, password: admin.password };
    const exported = (await (await fetch(`${sim.url}/rest/sim/1.0/export?project=DEMO`)).json()) as {
      projects: { id: string; issues: unknown[] }[];
    };
    const project = exported.projects[0];
    if (!project) throw new Error('no DEMO project');
    const total = project.issues.length;

    // Baseline: page through the same issues as fast as fetch allows.
    const auth = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    const fields =
      'project,issuetype,updated,summary,description,status,priority,labels,components,fixVersions,assignee,parent';
    let started = performance.now();
    let seen = 0;
    for (let startAt = 0; ; ) {
      const res = await fetch(
        `${sim.url}/rest/api/2/search?jql=${encodeURIComponent(`project = ${project.id} ORDER BY id`)}&startAt=${startAt}&maxResults=1000&fields=${fields}`,
        { headers: { authorization: auth, accept: 'application/json' } },
      );
      const page = (await res.json()) as { issues: unknown[]; total: number };
      seen += page.issues.length;
      startAt += page.issues.length;
      if (page.issues.length === 0 || startAt >= page.total) break;
    }
    const rawSeconds = (performance.now() - started) / 1000;

    const mapping = await insertTestMapping(store.db, {
      jiraProjectId: String(project.id),
      jiraProjectKey: 'DEMO',
      requirementTypes: ['Epic', 'Story', 'Task'],
      defectTypes: ['Bug'],
    });
    const deps: SyncDeps = {
      store,
      vault: new Vault(randomBytes(32)),
      logger: createLogger('silent'),
      config: { publicUrl: 'http://127.0.0.1:9' },
      clientFor: async (_id, o) =>
        new JiraClient({
          jiraUrl: sim.url,
          auth: basicAuth(creds),
          ...(o.onCall ? { onCall: o.onCall } : {}),
          ...(o.reason ? { reason: o.reason } : {}),
        }),
    };
    started = performance.now();
    const progress = await runImport(deps, mapping.id);
    const importSeconds = (performance.now() - started) / 1000;
    console.log(
      `import [${dialect}]: ${(total / importSeconds).toFixed(0)} issues/s vs raw paging ${(seen / rawSeconds).toFixed(0)}/s ` +
        `-> ratio ${(rawSeconds / importSeconds).toFixed(2)} (${total} issues; ${progress.done} imported)`,
    );
  } finally {
    await store.cleanup();
    await sim.close();
  }
}

for (const dialect of DIALECTS) await receiverBench(dialect);
for (const dialect of DIALECTS) await importBench(dialect);
process.exit(0);
